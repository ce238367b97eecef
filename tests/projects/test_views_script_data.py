"""Issue 8, finding 1: data handed to page scripts can never break out of its <script>.

A member names a sprint `</script><script>...</script>`, starts and completes it; the
project hub, the dashboard and the sprints page put that name into chart data. The pages
must keep it inside the JSON (escaped), never as markup a browser would run."""

import datetime
import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PAYLOAD = "</script><script>window.__xss=1</script>"


class _Scripts(HTMLParser):
    """Every <script> element as a browser's tokenizer sees it: (attributes, text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self._open = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open = [dict(attrs), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.scripts.append(tuple(self._open))
            self._open = None


def scripts_of(html: str) -> list[tuple[dict, str]]:
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def assert_no_script_from_data(html: str) -> list:
    """Every script is a vendored file or inert JSON; returns the parsed JSON blocks."""
    assert "<script>window.__xss" not in html
    data = []
    for attrs, text in scripts_of(html):
        if "src" in attrs:
            assert not text.strip()
            continue
        assert attrs.get("type") == "application/json", f"an inline script runs: {attrs} {text[:80]!r}"
        data.append(json.loads(text))
    return data


@pytest.fixture
def hostile_sprint(api):
    """Through the API, as a member: a sprint named PAYLOAD, started and completed, and a
    second one active (the dashboard's burndown)."""
    project = ProjectFactory(key="XS")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    client = api.as_user(member)
    today = datetime.date.today()
    created = client.post(
        "/api/v1/projects/XS/sprints/",
        {
            "name": PAYLOAD,
            "goal": PAYLOAD,
            "start_date": str(today - datetime.timedelta(days=20)),
            "end_date": str(today - datetime.timedelta(days=7)),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    sprint_id = created.json()["id"]
    assert client.post(f"/api/v1/sprints/{sprint_id}/start/").status_code == 200
    assert (
        client.post(f"/api/v1/sprints/{sprint_id}/complete/", {"move_open_to": None}, format="json").status_code == 200
    )
    active = client.post(
        "/api/v1/projects/XS/sprints/",
        {
            "name": PAYLOAD + " 2",
            "start_date": str(today - datetime.timedelta(days=2)),
            "end_date": str(today + datetime.timedelta(days=5)),
        },
        format="json",
    ).json()
    assert client.post(f"/api/v1/sprints/{active['id']}/start/").status_code == 200
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    return project, viewer, sprint_id, active["id"]


def test_sprint_name_stays_data_on_dashboard_sprints_and_hub(client, hostile_sprint):
    project, viewer, completed_id, active_id = hostile_sprint
    client.force_login(viewer)
    pages = {
        "hub": client.get(reverse("projects:hub", args=[project.key])),
        "dashboard": client.get(reverse("projects:dashboard", args=[project.key])),
        # The hub loads the dashboard as an htmx fragment.
        "dashboard fragment": client.get(reverse("projects:dashboard", args=[project.key]), HTTP_HX_REQUEST="true"),
        "sprints": client.get(reverse("projects:sprints", args=[project.key])),
        "completed sprint": client.get(reverse("projects:sprint", args=[project.key, completed_id])),
        "active sprint": client.get(reverse("projects:sprint", args=[project.key, active_id])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        blocks = assert_no_script_from_data(response.content.decode())
        if name in ("dashboard", "dashboard fragment", "sprints"):
            velocity = next(b for b in blocks if isinstance(b, list))
            # The chart still gets the real name, as text.
            assert velocity[0]["name"] == PAYLOAD, name
        if name in ("dashboard", "active sprint"):
            assert any(isinstance(b, dict) and "ideal" in b for b in blocks), name

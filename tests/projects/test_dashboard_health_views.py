"""The dashboard API (GET /api/v1/projects/{key}/dashboard/) and the dashboard page's health
panel and forecast: shapes, who may read them, and their query counts at 10 and 1,000
tickets. The hub shows the health too; thresholds are edited in settings and the API."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects import services
from projects.forms import ProjectSettingsForm
from projects.models import Project, Role, Ticket, TicketRelation
from tests.accounts.factories import UserFactory
from tests.projects.factories import LabelFactory, MembershipFactory, ProjectFactory, RiskFactory, seed_board

pytestmark = pytest.mark.django_db

# Queries per request, measured (the page and the hub count the session and the user too).
API_BUDGET = 12  # 16 before the active sprint and its history (one query now) were read once
PAGE_BUDGET = 12  # the forecast loads after the page (FORECAST_BUDGET); the sprint history is read once
FORECAST_BUDGET = 7
HUB_BUDGET = 12  # 15 before one query each for the header, the blocked rule and the sprint history


def project_of_size(n_tickets, *, key=None):
    """A project with an active sprint, `n_tickets` tickets (half finished over the
    last weeks), a high risk and a blocked ticket: every part of the dashboard has work."""
    project = ProjectFactory(**({"key": key} if key else {}))
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    today = timezone.localdate()
    sprint = services.sprint_create(
        project=project,
        name="Sprint D",
        start_date=today - datetime.timedelta(days=3),
        end_date=today + datetime.timedelta(days=10),
    )
    tickets = seed_board(project, admin, sprint, [LabelFactory(project=project)], n_tickets)
    # Every other ticket finished over the last 40 days: history enough for the forecast.
    done = project.statuses.get(is_finished=True)
    finished = [t.pk for t in tickets[::2]]
    Ticket.objects.filter(pk__in=finished).update(status=done)
    Ticket.objects.filter(project=project).update(created_at=timezone.now() - datetime.timedelta(days=60))
    for i, pk in enumerate(finished):
        Ticket.objects.filter(pk=pk).update(finished_at=timezone.now() - datetime.timedelta(days=1 + i % 40))
    services.sprint_start(sprint=sprint, user=admin)
    open_ = list(Ticket.objects.filter(project=project, status__is_finished=False).order_by("number")[:2])
    services.relation_add(ticket=open_[0], other=open_[1], kind="is_blocked_by", user=admin)
    TicketRelation.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    RiskFactory(project=project, title="Data drift", likelihood=4, impact=4)
    return Project.objects.get(pk=project.pk), admin


def _member(project, role):
    return MembershipFactory(project=project, role=role).user


def test_the_dashboard_api_answers_the_contract_shape_to_a_viewer():
    project, _ = project_of_size(10)
    client = APIClient()
    client.force_authenticate(_member(project, Role.VIEWER))
    response = client.get(f"/api/v1/projects/{project.key}/dashboard/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"health", "targets", "sprint", "forecast"}
    assert body["health"]["status"] in {"at_risk", "off_track"}
    codes = {reason["code"] for reason in body["health"]["reasons"]}
    assert {"blocked_tickets", "high_risks"} <= codes
    assert all({"code", "message"} <= set(reason) for reason in body["health"]["reasons"])
    assert body["targets"] == []
    assert body["sprint"]["name"] == "Sprint D" and "remaining_points" in body["sprint"]
    forecast = body["forecast"]
    assert forecast["available"] and forecast["trials"] >= 10_000
    assert forecast["p50_date"] <= forecast["p85_date"] and forecast["history"]["days"] > 0
    assert "from" in forecast["history"]


def test_the_dashboard_api_for_a_member_a_non_member_and_bad_input():
    project, _ = project_of_size(10)
    client = APIClient()
    client.force_authenticate(_member(project, Role.MEMBER))
    assert client.get(f"/api/v1/projects/{project.key}/dashboard/").status_code == 200
    bad = client.get(f"/api/v1/projects/{project.key}/dashboard/?scope=epic&epic=NOPE-1")
    assert bad.status_code == 400 and "epic" in bad.json()
    assert client.get(f"/api/v1/projects/{project.key}/dashboard/?scope=soon").status_code == 400
    client.force_authenticate(UserFactory())
    assert client.get(f"/api/v1/projects/{project.key}/dashboard/").status_code == 404
    client.force_authenticate(None)
    assert client.get(f"/api/v1/projects/{project.key}/dashboard/").status_code in (401, 403)


def test_the_dashboard_api_is_in_the_openapi_document():
    client = APIClient()
    client.force_authenticate(UserFactory())
    text = client.get("/api/schema/?format=json").content.decode()
    assert "/api/v1/projects/{key}/dashboard/" in text and "projects_dashboard_retrieve" in text
    schema = json.loads(text)
    answer = schema["components"]["schemas"]["Dashboard"]["properties"]
    assert {"health", "targets", "sprint", "forecast"} <= set(answer)


def _queries(client, url, sizes, **extra):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for project, user in sizes:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url.format(key=project.key), **extra)
        assert response.status_code == 200, response.content[:300]
        counts.append(len(captured))
    return counts


def test_the_dashboard_api_costs_the_same_at_10_and_1000_tickets(django_assert_max_num_queries):
    sizes = []
    for n, key in ((10, "SMALL"), (1000, "LARGE")):
        project, _ = project_of_size(n, key=key)
        sizes.append((project, _member(project, Role.VIEWER)))
    client = APIClient()
    counts = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for project, user in sizes:
        client.force_authenticate(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/projects/{project.key}/dashboard/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= API_BUDGET, counts
    with django_assert_max_num_queries(API_BUDGET):
        client.get(f"/api/v1/projects/{sizes[1][0].key}/dashboard/?scope=tickets&tickets=LARGE-1,LARGE-2")


def test_the_dashboard_page_costs_the_same_at_10_and_1000_tickets(client):
    sizes = []
    for n, key in ((10, "SMALL"), (1000, "LARGE")):
        project, _ = project_of_size(n, key=key)
        sizes.append((project, _member(project, Role.VIEWER)))
    counts = _queries(client, "/projects/{key}/dashboard/", sizes)
    assert counts[0] == counts[1] <= PAGE_BUDGET, counts
    forecast = _queries(client, "/projects/{key}/dashboard/forecast/", sizes, HTTP_HX_REQUEST="true")
    assert forecast[0] == forecast[1] <= FORECAST_BUDGET, forecast
    hub = _queries(client, "/projects/{key}/", sizes)
    assert hub[0] == hub[1] <= HUB_BUDGET, hub


def _with_forecast(client, page: str) -> str:
    """The dashboard page with its forecast section as htmx puts it right after the page
    loads: the placeholder's hx-get (the forecast section's URL) swapped for its answer."""
    placeholder = page.split('<section class="card forecast-section" id="forecast"', 1)[1].split("</section>", 1)[0]
    url = placeholder.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert 'hx-trigger="load"' in placeholder and f'href="{url}' in placeholder.replace("&amp;", "&")
    section = client.get(url, HTTP_HX_REQUEST="true")
    assert section.status_code == 200 and "<html" not in section.content.decode()
    return page + section.content.decode()


def test_the_dashboard_page_shows_health_with_reasons_and_the_forecast(client):
    project, _ = project_of_size(40)
    client.force_login(_member(project, Role.VIEWER))
    page = client.get(reverse("projects:dashboard", args=[project.key])).content.decode()
    assert 'id="health-status"' in page and 'id="health-reasons"' in page
    assert "blocked for more than 3 days" in page and "“Data drift” (score 16)" in page
    page = _with_forecast(client, page)
    assert 'id="forecast-p50"' in page and 'id="forecast-p85"' in page
    chart = json.loads(page.split('id="forecast-chart-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert chart["labels"] and len(chart["labels"]) == len(chart["trials"]) and chart["p50"]
    assert 'id="forecast-table"' in page and "Health thresholds" not in page  # a viewer: no settings link
    assert 'method="post"' not in page.split('id="health"', 1)[1].split("</main>", 1)[0].lower()


def test_the_forecast_section_answers_another_scope_and_explains_a_bad_one(client):
    project, _ = project_of_size(40)
    epic = services.ticket_create(project=project, reporter=None, title="Big one", type="epic")
    child = services.ticket_create(project=project, reporter=None, title="Part", parent=epic)
    client.force_login(_member(project, Role.VIEWER))
    url = reverse("projects:forecast", args=[project.key])
    part = client.get(url, {"scope": "epic", "epic": epic.key}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and f"epic {epic.key} · Big one" in part and 'id="forecast-p50"' in part
    bad = client.get(url, {"scope": "tickets", "tickets": f"{child.key}, NOPE-9"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "Not tickets of" in bad.content.decode()
    assert "<html" in client.get(url, {"scope": "epic", "epic": epic.key}).content.decode()


def test_too_little_history_shows_the_refusal(client):
    project = ProjectFactory()
    client.force_login(_member(project, Role.VIEWER))
    page = _with_forecast(client, client.get(reverse("projects:dashboard", args=[project.key])).content.decode())
    assert 'id="forecast-message"' in page
    assert "Nothing to forecast" in page or "Too little history" in page


def test_the_hub_shows_the_status_and_the_top_reason(client):
    project, _ = project_of_size(10)
    client.force_login(_member(project, Role.VIEWER))
    page = client.get(reverse("projects:hub", args=[project.key])).content.decode()
    assert 'id="hub-health"' in page and "health-badge" in page
    assert "health-top-reason" in page


def test_thresholds_are_edited_on_the_settings_page_and_in_the_api(client):
    project, admin = project_of_size(10)
    client.force_login(admin)
    page = client.get(reverse("projects:settings", args=[project.key])).content.decode()
    assert 'name="health_blocked_days"' in page and 'name="forecast_weeks"' in page
    # Whatever else the settings form holds, as it stands; then the thresholds.
    current = ProjectSettingsForm(instance=project)
    form = {name: value for name, value in current.initial.items() if name in current.fields and value is not None}
    form.update(
        health_burndown_behind_pct=25,
        health_blocked_days=10,
        health_target_days=7,
        health_high_risks_off_track=2,
        health_sync_stale_hours=12,
        forecast_weeks=4,
    )
    form = {name: value for name, value in form.items() if value is not False}
    response = client.post(reverse("projects:settings", args=[project.key]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert (project.health_blocked_days, project.forecast_weeks) == (10, 4)
    assert (
        client.post(reverse("projects:settings", args=[project.key]), {**form, "forecast_weeks": 0}).status_code == 200
    )

    api = APIClient()
    api.force_authenticate(admin)
    url = f"/api/v1/projects/{project.key}/"
    assert api.patch(url, {"health_blocked_days": 2}, format="json").json()["health_blocked_days"] == 2
    bad = api.patch(url, {"health_burndown_behind_pct": 0}, format="json")
    assert bad.status_code == 400 and "health_burndown_behind_pct" in bad.json()
    viewer = APIClient()
    viewer.force_authenticate(_member(project, Role.VIEWER))
    assert viewer.patch(url, {"health_blocked_days": 9}, format="json").status_code == 403


def test_the_dashboard_passes_its_forecast_scope_to_the_section_it_loads(client):
    project, _ = project_of_size(10)
    epic = services.ticket_create(project=project, reporter=None, title="Big one", type="epic")
    services.ticket_create(project=project, reporter=None, title="Part", parent=epic)
    client.force_login(_member(project, Role.VIEWER))
    url = reverse("projects:dashboard", args=[project.key])
    page = _with_forecast(client, client.get(url, {"scope": "epic", "epic": epic.key}).content.decode())
    assert f"For epic {epic.key} · Big one" in page
    assert 'id="forecast-p50"' not in client.get(url).content.decode()  # loaded after the page, not in it


def test_within_one_read_the_burndown_and_health_share_the_sprint_history(django_assert_num_queries):
    from projects.models import Sprint, SprintState
    from projects.selectors.sprints import history_read_once, sprint_burndown, sprint_summaries

    project, _ = project_of_size(10)
    sprint = Sprint.objects.get(project=project, state=SprintState.ACTIVE)
    with history_read_once():
        burndown = sprint_burndown(sprint=sprint)
        with django_assert_num_queries(0):  # the health's burndown rule sums the same history
            figures = sprint_summaries(sprints=[sprint])[sprint.pk]
    assert figures == burndown["summary"] and figures["committed"] > 0
    with django_assert_num_queries(1):  # outside the block each read asks the database (one query)
        assert sprint_summaries(sprints=[sprint])[sprint.pk] == figures

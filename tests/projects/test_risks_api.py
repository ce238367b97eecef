"""The risk register's API: the role matrix (viewers read, members and admins write,
non-members 404), field errors, 409 on a stale version, filters, and the list's query
budget at 5 and 200 risks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Risk, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, RiskFactory, TicketFactory, seed_risks

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def member(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


@pytest.fixture
def risk(cv, member):
    return RiskFactory(project=cv, user=member, title="Label noise", likelihood=4, impact=4)


def _user(cv, role):
    if role is None:
        return UserFactory()
    return MembershipFactory(project=cv, role=role).user


def test_create_answers_the_risk_with_score_high_and_links(api, cv, member):
    ticket = TicketFactory(project=cv, reporter=member)
    response = api.as_user(member).post(
        "/api/v1/projects/CV/risks/",
        {
            "title": "Edge latency",
            "description": "**40 ms** budget",
            "likelihood": 3,
            "impact": 5,
            "owner": "dana",
            "mitigation": "Quantise",
            "review_date": "2030-01-31",
            "tickets": [ticket.key],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["score"], body["is_high"], body["status"], body["version"]) == (15, True, "open", 1)
    assert body["owner"] == "dana" and body["tickets"] == [ticket.key] and body["project"] == "CV"
    assert "<strong>40 ms</strong>" in body["description_html"] and body["review_overdue"] is False
    assert body["url"] == f"http://testserver/projects/CV/risks/{body['id']}/"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.ADMIN, 200, True),
        (Role.MEMBER, 200, True),
        (Role.VIEWER, 200, False),
        (None, 404, False),
    ],
)
def test_role_matrix(api, cv, risk, role, read, write):
    client = api.as_user(_user(cv, role))
    assert client.get("/api/v1/projects/CV/risks/").status_code == read
    assert client.get(f"/api/v1/risks/{risk.pk}/").status_code == read
    created = client.post("/api/v1/projects/CV/risks/", {"title": "R", "likelihood": 1, "impact": 1}, format="json")
    patched = client.patch(f"/api/v1/risks/{risk.pk}/", {"impact": 1}, format="json")
    if write:
        assert (created.status_code, patched.status_code) == (201, 200)
        assert patched.json()["version"] == 2
        assert client.delete(f"/api/v1/risks/{risk.pk}/").status_code == 204
        assert not Risk.objects.filter(pk=risk.pk).exists()
    else:
        refused = 403 if role == Role.VIEWER else 404
        assert (created.status_code, patched.status_code) == (refused, refused)
        assert client.delete(f"/api/v1/risks/{risk.pk}/").status_code == refused
        risk.refresh_from_db()
        assert risk.version == 1 and Risk.objects.count() == 1


def test_anonymous_is_refused(api, risk):
    assert api.get("/api/v1/projects/CV/risks/").status_code == 401
    assert api.get(f"/api/v1/risks/{risk.pk}/").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": "x", "likelihood": 0, "impact": 3}, "likelihood"),
        ({"title": "x", "likelihood": 3, "impact": 6}, "impact"),
        ({"title": "x", "likelihood": 3}, "impact"),
        ({"title": "x", "likelihood": 3, "impact": 3, "status": "gone"}, "status"),
        ({"title": "x", "likelihood": 3, "impact": 3, "owner": "stranger"}, "owner"),
        ({"title": "x", "likelihood": 3, "impact": 3, "tickets": ["CV-404"]}, "tickets"),
        ({"title": "x", "likelihood": 3, "impact": 3, "review_date": "soon"}, "review_date"),
        ({"title": "x", "likelihood": 3, "impact": 3, "description": "d" * 10_001}, "description"),
    ],
)
def test_create_field_errors_are_400(api, cv, member, payload, field):
    response = api.as_user(member).post("/api/v1/projects/CV/risks/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Risk.objects.exists()


def test_patch_with_a_stale_version_is_409_with_the_current_risk(api, cv, member, risk):
    client = api.as_user(member)
    first = client.patch(f"/api/v1/risks/{risk.pk}/", {"title": "Theirs", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(f"/api/v1/risks/{risk.pk}/", {"title": "Mine", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["title"] == "Theirs" and stale.json()["version"] == 2
    risk.refresh_from_db()
    assert risk.title == "Theirs"


def test_patch_field_errors_are_400(api, cv, member, risk):
    client = api.as_user(member)
    assert "likelihood" in client.patch(f"/api/v1/risks/{risk.pk}/", {"likelihood": 7}, format="json").json()
    assert "owner" in client.patch(f"/api/v1/risks/{risk.pk}/", {"owner": "stranger"}, format="json").json()
    cleared = client.patch(f"/api/v1/risks/{risk.pk}/", {"owner": None, "status": "closed"}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["owner"] is None and cleared.json()["closed_at"] is not None


def test_another_projects_risk_is_404(api, cv, member):
    other = RiskFactory(project=ProjectFactory(key="OT"))
    assert api.as_user(member).get(f"/api/v1/risks/{other.pk}/").status_code == 404


def test_list_filters(api, cv, member):
    RiskFactory(project=cv, title="a", likelihood=5, impact=5)
    RiskFactory(project=cv, title="b", likelihood=2, impact=2)
    RiskFactory(project=cv, title="c", likelihood=2, impact=2, status="closed")
    client = api.as_user(member)

    def titles(query=""):
        return [r["title"] for r in client.get(f"/api/v1/projects/CV/risks/?{query}").json()["results"]]

    assert titles() == ["a", "b"]
    assert titles("status=all") == ["a", "c", "b"]  # equal scores: newest first
    assert titles("high=true") == ["a"]
    assert titles("likelihood=2&impact=2&status=closed") == ["c"]


@pytest.mark.parametrize("count", [5, 200])
def test_list_query_count_is_the_same_at_5_and_200_risks(api, cv, member, count, django_assert_max_num_queries):
    tickets = [TicketFactory(project=cv, reporter=member) for _ in range(3)]
    seed_risks(cv, count, owner=member, tickets=tickets)
    client = api.as_user(member)
    client.get("/api/v1/projects/CV/risks/?status=all")  # the token's last-used write, once
    with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/projects/CV/risks/?status=all&page_size=500")
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == count
    assert all(len(r["tickets"]) == 2 for r in body["results"])
    print(f"risks API list at {count} risks: {len(queries)} queries")

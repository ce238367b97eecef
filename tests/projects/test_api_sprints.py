import datetime

import pytest
from django.utils import timezone

from projects import services
from projects.models import Role, Sprint, TicketEvent
from projects.selectors import project_velocity, sprint_burndown
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def member(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER).user


def test_create_list_start_and_refuse_a_second_active_sprint(api, cv, member):
    client = api.as_user(member)
    one = client.post(
        "/api/v1/projects/CV/sprints/",
        {"name": "Sprint 1", "goal": "Baseline", "start_date": "2026-11-02", "end_date": "2026-11-13"},
        format="json",
    )
    assert one.status_code == 201 and one.json()["state"] == "planned" and one.json()["id"]
    two = client.post(
        "/api/v1/projects/CV/sprints/",
        {"name": "Sprint 2", "start_date": "2026-11-16", "end_date": "2026-11-27"},
        format="json",
    ).json()
    assert client.post(f"/api/v1/sprints/{one.json()['id']}/start/").json()["state"] == "active"
    refused = client.post(f"/api/v1/sprints/{two['id']}/start/")
    assert refused.status_code == 400 and "Sprint 1" in refused.json()["state"][0]
    listed = client.get("/api/v1/projects/CV/sprints/").json()
    assert [(s["name"], s["state"]) for s in listed["results"]] == [("Sprint 1", "active"), ("Sprint 2", "planned")]


def test_bad_dates_are_field_errors(api, cv, member):
    response = api.as_user(member).post(
        "/api/v1/projects/CV/sprints/",
        {"name": "Backwards", "start_date": "2026-11-13", "end_date": "2026-11-02"},
        format="json",
    )
    assert response.status_code == 400 and "end_date" in response.json()
    response = api.as_user(member).post("/api/v1/projects/CV/sprints/", {"name": "No dates"}, format="json")
    assert response.status_code == 400 and "start_date" in response.json()


def test_sprint_role_matrix(api, cv):
    sprint = SprintFactory(project=cv)
    viewer = MembershipFactory(project=cv, role=Role.VIEWER).user
    client = api.as_user(UserFactory())
    assert client.get("/api/v1/projects/CV/sprints/").status_code == 404
    assert client.post(f"/api/v1/sprints/{sprint.pk}/start/").status_code == 404
    assert client.get(f"/api/v1/sprints/{sprint.pk}/burndown/").status_code == 404
    client = api.as_user(viewer)
    assert client.get("/api/v1/projects/CV/sprints/").status_code == 200
    assert client.get(f"/api/v1/sprints/{sprint.pk}/burndown/").status_code == 200
    assert client.post(f"/api/v1/sprints/{sprint.pk}/start/").status_code == 403
    assert client.post(f"/api/v1/sprints/{sprint.pk}/complete/", {}, format="json").status_code == 403
    assert (
        client.post(
            "/api/v1/projects/CV/sprints/",
            {"name": "x", "start_date": "2026-01-01", "end_date": "2026-01-02"},
            format="json",
        ).status_code
        == 403
    )


def test_complete_moves_unfinished_tickets_to_the_chosen_sprint_or_backlog(api, cv, member):
    first, second = SprintFactory(project=cv, name="S1"), SprintFactory(project=cv, name="S2")
    done = TicketFactory(project=cv, title="Done work", sprint=first, estimate=3)
    open_one = TicketFactory(project=cv, title="Open work", sprint=first, estimate=5)
    services.ticket_update(ticket=done, user=member, status="done")
    client = api.as_user(member)
    client.post(f"/api/v1/sprints/{first.pk}/start/")
    bad = client.post(f"/api/v1/sprints/{first.pk}/complete/", {"move_open_to": 99999}, format="json")
    assert bad.status_code == 400 and "move_open_to" in bad.json()
    response = client.post(f"/api/v1/sprints/{first.pk}/complete/", {"move_open_to": second.pk}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "completed"
    done.refresh_from_db(), open_one.refresh_from_db()
    assert done.sprint_id == first.pk and open_one.sprint_id == second.pk
    assert TicketEvent.objects.filter(ticket=open_one, field="sprint", old_value="S1", new_value="S2").exists()
    # A completed sprint cannot complete again; the second one carries to the backlog.
    assert client.post(f"/api/v1/sprints/{first.pk}/complete/", {}, format="json").status_code == 400
    client.post(f"/api/v1/sprints/{second.pk}/start/")
    client.post(f"/api/v1/sprints/{second.pk}/complete/", {"move_open_to": None}, format="json")
    open_one.refresh_from_db()
    assert open_one.sprint_id is None
    velocity = project_velocity(project=cv)
    assert [(v["name"], v["completed_points"], v["committed_points"]) for v in velocity] == [("S1", 3, 8), ("S2", 0, 5)]


def test_burndown_follows_finished_tickets_and_history(api, cv, member):
    today = timezone.localdate()
    sprint = SprintFactory(
        project=cv, start_date=today - datetime.timedelta(days=2), end_date=today + datetime.timedelta(days=2)
    )
    a = TicketFactory(project=cv, title="A", sprint=sprint, estimate=5)
    b = TicketFactory(project=cv, title="B", sprint=sprint, estimate=3)
    TicketFactory(project=cv, title="Not in sprint", estimate=8)
    services.sprint_start(sprint=sprint)
    Sprint.objects.filter(pk=sprint.pk).update(started_at=timezone.now() - datetime.timedelta(days=2, hours=1))
    # The tickets existed from the first day; A finished yesterday, B is still open.
    a.events.update(created_at=timezone.now() - datetime.timedelta(days=3))
    type(a).objects.filter(pk__in=[a.pk, b.pk]).update(created_at=timezone.now() - datetime.timedelta(days=3))
    services.ticket_update(ticket=a, user=member, status="done")
    type(a).objects.filter(pk=a.pk).update(finished_at=timezone.now() - datetime.timedelta(days=1))
    response = api.as_user(member).get(f"/api/v1/sprints/{sprint.pk}/burndown/")
    assert response.status_code == 200
    body = response.json()
    assert [d["remaining_points"] for d in body["days"]] == [8, 3, 3]
    assert [d["date"] for d in body["days"]] == [str(today - datetime.timedelta(days=i)) for i in (2, 1, 0)]
    assert len(body["ideal"]) == 5
    assert body["ideal"][0]["remaining_points"] == 8 and body["ideal"][-1]["remaining_points"] == 0
    sprint.refresh_from_db()
    assert sprint_burndown(sprint=sprint)["committed_points"] == 8

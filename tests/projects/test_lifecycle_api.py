"""The lifecycle API: the role matrix of exit criteria, the phase advance (admins only; 400
naming the unticked criteria; override with a reason) and milestones (viewers read,
members write, non-members 404), field errors, 409 on a stale milestone, the paginated
shape, the OpenAPI document, and each list's query count at two sizes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import ExitCriterion, Milestone, PhaseTransition, Role, TicketType
from projects.services.lifecycle import exit_criteria_create, milestone_create
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV", phase="define")


@pytest.fixture
def admin(cv):
    return MembershipFactory(project=cv, role=Role.ADMIN, user__username="ada").user


@pytest.fixture
def member(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


@pytest.fixture
def epic(cv, member):
    return TicketFactory(project=cv, reporter=member, title="Detector v2", type=TicketType.EPIC)


def _user(cv, role):
    return UserFactory() if role is None else MembershipFactory(project=cv, role=role).user


MATRIX = [(Role.ADMIN, 200, True), (Role.MEMBER, 200, True), (Role.VIEWER, 200, False), (None, 404, False)]


@pytest.mark.parametrize(("role", "read", "write"), MATRIX)
def test_exit_criteria_role_matrix(api, cv, role, read, write):
    (criterion,) = exit_criteria_create(cv, "define", ["Charter approved"])
    client = api.as_user(_user(cv, role))
    assert client.get("/api/v1/projects/CV/exit-criteria/").status_code == read
    assert client.get(f"/api/v1/exit-criteria/{criterion.pk}/").status_code == read
    created = client.post("/api/v1/projects/CV/exit-criteria/", {"phase": "plan", "text": "Epics"}, format="json")
    ticked = client.patch(f"/api/v1/exit-criteria/{criterion.pk}/", {"done": True}, format="json")
    if write:
        assert (created.status_code, ticked.status_code) == (201, 200)
        assert created.json()["phase"] == "plan" and created.json()["done"] is False
        assert ticked.json()["done"] is True and ticked.json()["done_by"] is not None
        assert client.delete(f"/api/v1/exit-criteria/{criterion.pk}/").status_code == 204
        assert not ExitCriterion.objects.filter(pk=criterion.pk).exists()
    else:
        refused = 403 if role == Role.VIEWER else 404
        assert (created.status_code, ticked.status_code) == (refused, refused)
        assert client.delete(f"/api/v1/exit-criteria/{criterion.pk}/").status_code == refused
        criterion.refresh_from_db()
        assert not criterion.done and ExitCriterion.objects.count() == 1


@pytest.mark.parametrize(("role", "status"), [(Role.ADMIN, 201), (Role.MEMBER, 403), (Role.VIEWER, 403), (None, 404)])
def test_only_admins_advance_the_phase(api, cv, role, status):
    client = api.as_user(_user(cv, role))
    response = client.post("/api/v1/projects/CV/phase/advance/", {}, format="json")
    assert response.status_code == status
    cv.refresh_from_db()
    assert cv.phase == ("plan" if status == 201 else "define")
    history = client.get("/api/v1/projects/CV/phase-transitions/")
    assert history.status_code == (404 if role is None else 200)


def test_advance_with_unticked_criteria_is_400_naming_them_then_override_is_recorded(api, cv, admin, member):
    done, _ = exit_criteria_create(cv, "define", ["Charter approved", "Target written down"])
    client = api.as_user(admin)
    assert client.patch(f"/api/v1/exit-criteria/{done.pk}/", {"done": True}, format="json").status_code == 200
    refused = client.post("/api/v1/projects/CV/phase/advance/", {"to_phase": "plan"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["exit_criteria"] == ["Not ticked: Target written down"]
    assert "override_reason" in refused.json()
    cv.refresh_from_db()
    assert cv.phase == "define" and not PhaseTransition.objects.exists()

    reason = "The sponsor agreed the target by mail."
    advanced = client.post("/api/v1/projects/CV/phase/advance/", {"override_reason": reason}, format="json")
    assert advanced.status_code == 201, advanced.content
    body = advanced.json()
    assert (body["from_phase"], body["to_phase"], body["actor"], body["overridden"]) == ("define", "plan", "ada", True)
    assert body["override_reason"] == reason
    assert [(i["text"], i["done"], i["done_by"]) for i in body["checklist"]] == [
        ("Charter approved", True, "ada"),
        ("Target written down", False, None),
    ]
    history = client.get("/api/v1/projects/CV/phase-transitions/").json()
    assert set(history) >= {"results", "next"} and history["results"][0]["id"] == body["id"]
    assert api.as_user(member).get("/api/v1/projects/CV/").json()["phase"] == "plan"


def test_advance_with_every_criterion_ticked(api, cv, admin):
    for criterion in exit_criteria_create(cv, "define", ["Charter approved"]):
        api.as_user(admin).patch(f"/api/v1/exit-criteria/{criterion.pk}/", {"done": True}, format="json")
    response = api.as_user(admin).post("/api/v1/projects/CV/phase/advance/", {"to_phase": "plan"}, format="json")
    assert response.status_code == 201
    assert response.json()["overridden"] is False and response.json()["checklist"][0]["done"] is True


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("projects/CV/exit-criteria/", {"phase": "later", "text": "x"}, "phase"),
        ("projects/CV/exit-criteria/", {"phase": "plan", "text": ""}, "text"),
        ("projects/CV/exit-criteria/", {"phase": "plan"}, "text"),
        ("projects/CV/phase/advance/", {"to_phase": "soon"}, "to_phase"),
        ("projects/CV/phase/advance/", {"to_phase": "define"}, "to_phase"),
        ("projects/CV/milestones/", {"due_date": "2030-01-01"}, "name"),
        ("projects/CV/milestones/", {"name": "M", "due_date": "soon"}, "due_date"),
        ("projects/CV/milestones/", {"name": "M", "due_date": "2030-01-01", "epics": ["CV-404"]}, "epics"),
        ("projects/CV/milestones/", {"name": "M", "due_date": "2030-01-01", "description": "d" * 5001}, "description"),
    ],
)
def test_field_errors_are_400(api, cv, admin, path, payload, field):
    response = api.as_user(admin).post(f"/api/v1/{path}", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Milestone.objects.exists() and not PhaseTransition.objects.exists()


def test_a_story_is_not_an_epic_of_a_milestone(api, cv, member):
    story = TicketFactory(project=cv, reporter=member, title="A story")
    response = api.as_user(member).post(
        "/api/v1/projects/CV/milestones/", {"name": "M", "due_date": "2030-01-01", "epics": [story.key]}, format="json"
    )
    assert response.status_code == 400 and "not an epic" in response.json()["epics"][0]


@pytest.mark.parametrize(("role", "read", "write"), MATRIX)
def test_milestones_role_matrix(api, cv, member, epic, role, read, write):
    milestone = milestone_create(project=cv, user=member, name="Pilot", due_date=datetime.date(2030, 1, 1))
    client = api.as_user(_user(cv, role))
    assert client.get("/api/v1/projects/CV/milestones/").status_code == read
    assert client.get(f"/api/v1/milestones/{milestone.pk}/").status_code == read
    created = client.post(
        "/api/v1/projects/CV/milestones/",
        {"name": "Launch", "due_date": "2030-03-01", "epics": [epic.key], "description": "**Go** live"},
        format="json",
    )
    patched = client.patch(f"/api/v1/milestones/{milestone.pk}/", {"completed": True}, format="json")
    if write:
        assert (created.status_code, patched.status_code) == (201, 200)
        body = created.json()
        assert body["epics"] == [epic.key] and body["completed"] is False and body["project"] == "CV"
        assert "<strong>Go</strong>" in body["description_html"]
        assert body["url"] == f"http://testserver/projects/CV/roadmap/#milestone-{body['id']}"
        assert patched.json()["completed"] is True and patched.json()["completed_at"] and patched.json()["version"] == 2
        assert client.delete(f"/api/v1/milestones/{milestone.pk}/").status_code == 204
        assert not Milestone.objects.filter(pk=milestone.pk).exists()
    else:
        refused = 403 if role == Role.VIEWER else 404
        assert (created.status_code, patched.status_code) == (refused, refused)
        assert client.delete(f"/api/v1/milestones/{milestone.pk}/").status_code == refused
        milestone.refresh_from_db()
        assert milestone.version == 1 and Milestone.objects.count() == 1


def test_milestone_patch_with_a_stale_version_is_409_with_the_current_one(api, cv, member):
    milestone = milestone_create(project=cv, user=member, name="Pilot", due_date=datetime.date(2030, 1, 1))
    client = api.as_user(member)
    first = client.patch(f"/api/v1/milestones/{milestone.pk}/", {"name": "Theirs", "version": 1}, format="json")
    assert first.status_code == 200
    stale = client.patch(f"/api/v1/milestones/{milestone.pk}/", {"name": "Mine", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["name"] == "Theirs" and stale.json()["version"] == 2


def test_another_projects_objects_are_404(api, cv, member):
    other = ProjectFactory(key="OT")
    (criterion,) = exit_criteria_create(other, "define", ["Theirs"])
    milestone = milestone_create(project=other, user=None, name="Theirs", due_date=datetime.date(2030, 1, 1))
    client = api.as_user(member)
    assert client.get(f"/api/v1/exit-criteria/{criterion.pk}/").status_code == 404
    assert client.patch(f"/api/v1/milestones/{milestone.pk}/", {"name": "x"}, format="json").status_code == 404
    assert client.get("/api/v1/projects/OT/phase-transitions/").status_code == 404


def test_the_endpoints_are_in_the_openapi_document(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/projects/{key}/exit-criteria/": {"get", "post"},
        "/api/v1/exit-criteria/{criterion_id}/": {"get", "patch", "delete"},
        "/api/v1/projects/{key}/phase/advance/": {"post"},
        "/api/v1/projects/{key}/phase-transitions/": {"get"},
        "/api/v1/projects/{key}/milestones/": {"get", "post"},
        "/api/v1/milestones/{milestone_id}/": {"get", "patch", "delete"},
    }.items():
        assert methods <= set(paths[path]), path
    assert "400" in paths["/api/v1/projects/{key}/phase/advance/"]["post"]["responses"]


def _seed(cv, admin, epic_count, count):
    """`count` criteria per phase (ticked by admin), `count` transitions, `count` milestones
    each linked to every one of `epic_count` epics."""
    epics = [TicketFactory(project=cv, reporter=admin, title=f"E{i}", type=TicketType.EPIC) for i in range(epic_count)]
    for phase in ("define", "plan"):
        ExitCriterion.objects.bulk_create(
            ExitCriterion(project=cv, phase=phase, text=f"C{i}", position=i, done=True, done_by=admin)
            for i in range(count)
        )
    PhaseTransition.objects.bulk_create(
        PhaseTransition(project=cv, from_phase="define", to_phase="plan", actor=admin, checklist=[])
        for _ in range(count)
    )
    milestones = Milestone.objects.bulk_create(
        Milestone(project=cv, name=f"M{i}", due_date=datetime.date(2030, 1, 1) + datetime.timedelta(days=i))
        for i in range(count)
    )
    Milestone.epics.through.objects.bulk_create(
        Milestone.epics.through(milestone_id=m.pk, ticket_id=e.pk) for m in milestones for e in epics
    )


@pytest.mark.parametrize(("epics", "count"), [(1, 2), (8, 120)])
def test_list_query_counts_are_the_same_at_two_sizes(api, cv, admin, epics, count, django_assert_max_num_queries):
    _seed(cv, admin, epics, count)
    client = api.as_user(admin)
    client.get("/api/v1/projects/CV/milestones/")  # the token's last-used write, once
    budgets = {
        "/api/v1/projects/CV/exit-criteria/?page_size=500": (5, 2 * count),
        "/api/v1/projects/CV/phase-transitions/?page_size=500": (5, count),
        "/api/v1/projects/CV/milestones/?page_size=500": (6, count),
    }
    for url, (budget, rows) in budgets.items():
        with django_assert_max_num_queries(budget), CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200 and len(response.json()["results"]) == rows
        print(f"{url} at {count}: {len(queries)} queries")
    assert all(len(m["epics"]) == epics for m in client.get("/api/v1/projects/CV/milestones/").json()["results"])

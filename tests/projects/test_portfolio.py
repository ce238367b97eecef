"""The portfolio (issue 13, item 9): every project the user is a member of, one row each with
phase, health and its top reason, the active sprint's progress, the primary target's best
against its target and the next milestone; sortable on the server; viewers see it; a
non-member's project never appears; the page and the API cost the same queries for 1 and 50
projects."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from projects import services
from projects.models import Milestone, Role, SprintState
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory, TargetFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, RiskFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def a_project(user, n: int, *, role=Role.VIEWER, phase="develop"):
    """A project with an active sprint (2 of 5 points done), a primary target with runs, an
    open high risk and a milestone: every column of the row has something to read."""
    project = ProjectFactory(key=f"PF{n}", name=f"Portfolio {n:02d}", phase=phase)
    MembershipFactory(project=project, user=user, role=role)
    sprint = SprintFactory(project=project, state=SprintState.ACTIVE, start_date=timezone.localdate())
    TicketFactory(project=project, sprint=sprint, estimate=2, status="done")
    TicketFactory(project=project, sprint=sprint, estimate=3)
    TargetFactory(project=project, metric="val_f1", target=0.9, primary=True)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    RunFactory(experiment=experiment, metrics={"val_f1": 0.8 + n / 1000})
    RiskFactory(project=project, likelihood=5, impact=5)
    Milestone.objects.create(
        project=project, name=f"Milestone {n}", due_date=timezone.localdate() + datetime.timedelta(days=60 - n)
    )
    return project


def test_one_row_per_project_of_the_user_with_what_a_stakeholder_reads():
    viewer = UserFactory()
    project = a_project(viewer, 1)
    other = ProjectFactory(key="SECRET", name="Not yours")  # a non-member's project
    TargetFactory(project=other, primary=True)

    rows = api(viewer).get("/api/v1/portfolio/").json()
    assert [row["key"] for row in rows] == ["PF1"]
    row = rows[0]
    assert row["name"] == project.name and row["phase"] == "develop" and row["role"] == "viewer"
    assert row["health"]["status"] in {"at_risk", "off_track"}
    assert row["top_reason"] == row["health"]["reasons"][0]
    assert {"committed": 5, "done": 2, "percent": 40, "unit": "points"}.items() <= row["sprint"].items()
    target = row["primary_target"]
    assert (target["metric"], target["target"], target["best_value"], target["met"]) == ("val_f1", 0.9, 0.801, False)
    assert row["next_milestone"]["name"] == "Milestone 1"


def test_the_page_shows_the_rows_to_a_viewer_and_never_a_non_members_project(client):
    viewer = UserFactory()
    a_project(viewer, 1)
    ProjectFactory(key="SECRET", name="Not yours")
    client.force_login(viewer)
    page = client.get(reverse("portfolio"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="portfolio-PF1"' in body and "Portfolio 01" in body
    assert "SECRET" not in body and "Not yours" not in body
    assert "val_f1" in body and "Milestone 1" in body and "2 of 5 points" in body
    assert reverse("portfolio") in client.get(reverse("projects:list")).content.decode()  # in the top bar


def test_sorted_on_the_server_by_name_phase_health_and_next_milestone():
    user = UserFactory()
    calm = ProjectFactory(key="CALM", name="B calm", phase="deploy")
    MembershipFactory(project=calm, user=user)
    a_project(user, 1, phase="data")  # at risk or worse, milestone in 59 days
    a_project(user, 2, phase="define")  # milestone in 58 days

    def keys(sort):
        response = api(user).get("/api/v1/portfolio/", {"sort": sort})
        assert response.status_code == 200
        return [row["key"] for row in response.json()]

    assert keys("name") == ["CALM", "PF1", "PF2"]
    assert keys("-name") == ["PF2", "PF1", "CALM"]
    assert keys("phase") == ["PF2", "PF1", "CALM"]  # define, data, deploy
    assert keys("health")[-1] == "CALM"  # worst first
    assert keys("milestone") == ["PF2", "PF1", "CALM"]  # soonest first, none last
    assert keys("-milestone") == ["PF1", "PF2", "CALM"]
    assert keys("nonsense") == keys("health")


@pytest.mark.parametrize("path", ["/api/v1/portfolio/", "/portfolio/"])
def test_the_same_number_of_queries_for_1_and_50_projects(client, path):
    user = UserFactory()
    client.force_login(user)
    a_project(user, 0)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        return len(queries)

    one = count()
    for n in range(1, 50):
        a_project(user, n)
    assert count() == one
    assert len(api(user).get("/api/v1/portfolio/").json()) == 50


def test_a_project_made_from_the_template_shows_its_primary_target_without_runs():
    user = UserFactory()
    services.project_create(creator=user, key="ML", name="Model", template="ml-model")
    row = api(user).get("/api/v1/portfolio/").json()[0]
    assert row["phase"] == "define"
    assert row["primary_target"] == {
        "metric": "val_f1",
        "direction": "higher",
        "target": 0.9,
        "best_value": None,
        "gap": None,
        "met": False,
    }
    assert row["sprint"] is None and row["next_milestone"] is None

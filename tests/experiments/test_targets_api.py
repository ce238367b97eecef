"""Targets API: CRUD with the role matrix (viewers read, members and admins write, outsiders
get 404), field errors as 400, the contract's names, and the list's cost at 10 and 1,000 runs."""

import datetime

import pytest
from django.utils import timezone

from experiments.models import Run, Target
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory, TargetFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def experiment(project):
    return ExperimentFactory(source=MlflowSourceFactory(project=project))


def url(project):
    return f"/api/v1/projects/{project.key}/targets/"


def test_list_and_detail_carry_the_contracts_fields(api, project, experiment, member_of):
    best = RunFactory(experiment=experiment, name="best", metrics={"val_f1": 0.93})
    RunFactory(experiment=experiment, metrics={"val_f1": 0.88})
    target = TargetFactory(project=project, target=0.95, baseline=0.8, deadline=datetime.date(2027, 1, 31))
    client = api.as_user(member_of(project, "viewer"))

    listed = client.get(url(project))

    assert listed.status_code == 200 and listed.json()["count"] == 1
    [row] = listed.json()["results"]
    assert row == client.get(f"/api/v1/targets/{target.pk}/").json()
    assert {key: row[key] for key in ("metric", "direction", "target", "baseline", "deadline", "best_value")} == {
        "metric": "val_f1",
        "direction": "higher",
        "target": 0.95,
        "baseline": 0.8,
        "deadline": "2027-01-31",
        "best_value": 0.93,
    }
    assert row["best_run"] == best.run_id and row["best_run_name"] == "best" and row["met"] is False
    assert row["gap"] == pytest.approx(0.02) and row["id"] == target.pk and row["project"] == "CV"
    assert row["primary"] is False and row["best_at"]


def test_viewer_reads_member_and_admin_write_outsider_sees_nothing(api, project, member_of):
    viewer, member, admin, outsider = (
        member_of(project, "viewer"),
        member_of(project, "member"),
        member_of(project, "admin"),
        member_of(ProjectFactory(), "admin"),
    )
    body = {"metric": "val_f1", "target": 0.9}

    assert api.as_user(viewer).post(url(project), body, format="json").status_code == 403
    created = api.as_user(member).post(url(project), body, format="json")
    assert created.status_code == 201, created.content
    detail = f"/api/v1/targets/{created.json()['id']}/"
    assert created.json()["best_value"] is None and created.json()["met"] is False

    assert api.as_user(viewer).get(detail).status_code == 200
    assert api.as_user(viewer).patch(detail, {"target": 0.8}, format="json").status_code == 403
    assert api.as_user(viewer).delete(detail).status_code == 403
    patched = api.as_user(admin).patch(detail, {"target": 0.8, "primary": True}, format="json")
    assert patched.status_code == 200 and patched.json()["target"] == 0.8 and patched.json()["primary"] is True
    assert patched.json()["metric"] == "val_f1"  # PATCH changes only what it names

    for method in ("get", "patch", "delete"):
        assert getattr(api.as_user(outsider), method)(detail, {}, format="json").status_code == 404
    assert api.as_user(outsider).get(url(project)).status_code == 404
    assert api.as_user(outsider).post(url(project), body, format="json").status_code == 404

    assert api.as_user(member).delete(detail).status_code == 204
    assert not Target.objects.exists()
    api.credentials()
    assert api.get(url(project)).status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": 0.9}, "metric"),
        ({"metric": "val_f1"}, "target"),
        ({"metric": "val_f1", "target": "high"}, "target"),
        ({"metric": "val_f1", "target": 0.9, "direction": "up"}, "direction"),
        ({"metric": "val_f1", "target": 0.9, "deadline": "soon"}, "deadline"),
        ({"metric": "taken", "target": 0.9}, "metric"),  # the service's rule: one target per metric
        ({"metric": "val_f1", "target": "Infinity"}, "target"),
    ],
)
def test_field_errors_are_400(api, project, member_of, body, field):
    TargetFactory(project=project, metric="taken")
    answer = api.as_user(member_of(project)).post(url(project), body, format="json")
    assert answer.status_code == 400 and field in answer.json(), answer.content
    assert Target.objects.count() == 1


def _bulk_runs(experiment, count):
    start = timezone.now() - datetime.timedelta(days=5)
    Run.objects.bulk_create(
        RunFactory.build(
            experiment=experiment,
            start_time=start + datetime.timedelta(minutes=n),
            end_time=start + datetime.timedelta(minutes=n + 1),
            metrics={"val_f1": (n * 7919 % 1000) / 1000, "val_loss": 1 - n / count},
        )
        for n in range(count)
    )


def test_list_costs_the_same_queries_for_10_and_1000_runs(api, member_of, django_assert_max_num_queries):
    counts = {}
    for key, size in (("SMALL", 10), ("BIG", 1000)):
        project = ProjectFactory(key=key)
        _bulk_runs(ExperimentFactory(source=MlflowSourceFactory(project=project)), size)
        TargetFactory(project=project, metric="val_f1", target=0.95, primary=True)
        TargetFactory(project=project, metric="val_loss", direction="lower", target=0.01)
        client = api.as_user(member_of(project, "viewer"))
        client.get(url(project))
        with django_assert_max_num_queries(6) as captured:
            answer = client.get(url(project))
        assert answer.status_code == 200 and answer.json()["count"] == 2
        counts[size] = len(captured)
    assert counts[10] == counts[1000], counts


def test_targets_are_in_the_openapi_document(api, member_of, project):
    schema = api.as_user(member_of(project)).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/projects/{key}/targets/"])
    assert {"get", "patch", "delete"} <= set(schema["paths"]["/api/v1/targets/{target_id}/"])
    fields = schema["components"]["schemas"]["Target"]["properties"]
    assert {"metric", "direction", "target", "baseline", "deadline", "best_value", "best_run", "met"} <= set(fields)

"""The experiments API per the contract, with the role matrix."""

import math

import pytest

from experiments.models import MetricPoint, MlflowSource, RunLink, SyncRecord
from projects.models import TicketEvent
from tests.accounts.factories import UserFactory
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    gate,
    link,
)
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def experiment(project):
    return ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")


def test_sources_admin_creates_member_reads_viewer_and_outsider_cannot(api, project, member_of, settings):
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = ["mlflow.internal"]  # an operator-allowed name (not resolvable here)
    admin, member = member_of(project, "admin"), member_of(project, "member")
    body = {
        "tracking_uri": "http://mlflow.internal:5000/",
        "experiment_names": ["detector", "segmenter"],
        "username": "bot",
        "secret": "s3cret",
    }
    created = api.as_user(admin).post(f"/api/v1/projects/{project.key}/mlflow-sources/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["tracking_uri"] == "http://mlflow.internal:5000" and data["experiment_names"] == [
        "detector",
        "segmenter",
    ]
    assert data["has_secret"] is True and "secret" not in data and data["last_sync"] is None
    stored = MlflowSource.objects.get(pk=data["id"])
    assert stored.secret_encrypted and "s3cret" not in stored.secret_encrypted  # encrypted at rest
    from experiments.sync.runner import credentials_for

    assert credentials_for(stored).password == "s3cret"

    assert (
        api.as_user(member).post(f"/api/v1/projects/{project.key}/mlflow-sources/", body, format="json").status_code
        == 403
    )
    listed = api.as_user(member).get(f"/api/v1/projects/{project.key}/mlflow-sources/").json()
    assert [s["id"] for s in listed["results"]] == [data["id"]]
    outsider = UserFactory()
    assert api.as_user(outsider).get(f"/api/v1/projects/{project.key}/mlflow-sources/").status_code == 404
    assert api.as_user(outsider).get(f"/api/v1/mlflow-sources/{data['id']}/").status_code == 404


def test_source_bad_input_is_a_400_with_field_errors(api, project, member_of):
    admin = member_of(project, "admin")
    client = api.as_user(admin)
    bad = client.post(
        f"/api/v1/projects/{project.key}/mlflow-sources/",
        {"tracking_uri": "ftp://x", "experiment_names": ["a"]},
        format="json",
    )
    assert bad.status_code == 400 and "tracking_uri" in bad.json()
    local = client.post(
        f"/api/v1/projects/{project.key}/mlflow-sources/",
        {"tracking_uri": "sqlite:////etc/passwd", "experiment_names": ["a"]},
        format="json",
    )
    assert local.status_code == 400 and "tracking_uri" in local.json()
    empty = client.post(
        f"/api/v1/projects/{project.key}/mlflow-sources/",
        {"tracking_uri": "http://m:5000", "experiment_names": []},
        format="json",
    )
    assert empty.status_code == 400 and "experiment_names" in empty.json()


def test_source_detail_shows_last_sync_and_sync_answers_202(
    api, project, member_of, django_capture_on_commit_callbacks
):
    source = MlflowSourceFactory(project=project)
    SyncRecord.objects.create(source=source, kind="full", status="ok", runs_created=3)
    member, viewer = member_of(project, "member"), member_of(project, "viewer")
    detail = api.as_user(viewer).get(f"/api/v1/mlflow-sources/{source.pk}/").json()
    assert detail["last_sync"]["status"] == "ok" and detail["last_sync"]["runs_created"] == 3
    assert api.as_user(viewer).post(f"/api/v1/mlflow-sources/{source.pk}/sync/").status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = api.as_user(member).post(f"/api/v1/mlflow-sources/{source.pk}/sync/")
    assert answer.status_code == 202 and answer.json()["kind"] == "full" and answer.json()["status"] == "queued"
    assert len(callbacks) == 1  # the task is enqueued after commit
    again = api.as_user(member).post(f"/api/v1/mlflow-sources/{source.pk}/sync/")
    assert again.json()["id"] == answer.json()["id"]  # joins the queued sync


def test_runs_list_filters_and_run_detail(api, project, experiment, member_of):
    viewer = member_of(project, "viewer")
    ticket = ExperimentTicketFactory(project=project)
    good = RunFactory(
        experiment=experiment, name="good", metrics={"val_f1": 0.93, "loss": "NaN"}, params={"lr": "0.01"}
    )
    RunFactory(experiment=experiment, name="bad", status="FAILED", metrics={"val_f1": 0.5})
    RunFactory(
        experiment=ExperimentFactory(source=experiment.source, name="other"), name="elsewhere", metrics={"val_f1": 0.7}
    )
    RunFactory(experiment=experiment, name="gone", deleted=True, lifecycle="deleted")
    link(good, ticket)
    client = api.as_user(viewer)
    names = lambda response: sorted(r["name"] for r in response.json()["results"])  # noqa: E731
    url = f"/api/v1/projects/{project.key}/runs/"
    assert names(client.get(url)) == ["bad", "elsewhere", "good"]
    assert names(client.get(url, {"experiment": "detector"})) == ["bad", "good"]
    assert names(client.get(url, {"status": "failed"})) == ["bad"]
    assert names(client.get(url, {"ticket": ticket.key})) == ["good"]
    assert names(client.get(url, {"q": "val_f1>=0.9"})) == ["good"]
    assert names(client.get(url, {"q": "lr=0.01"})) == ["bad", "elsewhere", "good"]
    sorted_runs = client.get(url, {"sort": "-metrics.val_f1", "experiment": "detector"}).json()["results"]
    assert [r["name"] for r in sorted_runs] == ["good", "bad"]
    detail = client.get(f"/api/v1/runs/{good.run_id}/").json()
    assert detail["tickets"] == [ticket.key] and detail["experiment"] == "detector"
    assert detail["metrics"] == {"val_f1": 0.93, "loss": "NaN"} and detail["params"] == {"lr": "0.01"}
    assert api.as_user(UserFactory()).get(f"/api/v1/runs/{good.run_id}/").status_code == 404


def test_metric_history_in_step_order_with_non_finite_values(api, project, experiment, member_of):
    run = RunFactory(experiment=experiment)
    MetricPoint.objects.bulk_create(
        [
            MetricPoint(run=run, key="loss", step=2, value=0.5, timestamp=3),
            MetricPoint(run=run, key="loss", step=0, value=math.inf, timestamp=1),
            MetricPoint(run=run, key="loss", step=1, value=0.0, is_nan=True, timestamp=2),
        ]
    )
    response = api.as_user(member_of(project, "viewer")).get(f"/api/v1/runs/{run.run_id}/metrics/loss/")
    assert response.status_code == 200
    assert response.json()["history"] == [
        {"step": 0, "value": "Infinity", "timestamp": 1},
        {"step": 1, "value": "NaN", "timestamp": 2},
        {"step": 2, "value": 0.5, "timestamp": 3},
    ]


def test_link_and_unlink_runs_on_a_ticket(api, project, experiment, member_of):
    member, viewer = member_of(project, "member"), member_of(project, "viewer")
    ticket = ExperimentTicketFactory(project=project)
    run = RunFactory(experiment=experiment)
    url = f"/api/v1/tickets/{ticket.key}/runs/"
    assert api.as_user(viewer).post(url, {"run_id": run.run_id}, format="json").status_code == 403
    linked = api.as_user(member).post(url, {"run_id": run.run_id}, format="json")
    assert linked.status_code == 201 and linked.json()["run"]["tickets"] == [ticket.key]
    assert [r["run_id"] for r in api.as_user(viewer).get(url).json()["results"]] == [run.run_id]
    assert TicketEvent.objects.filter(ticket=ticket, data__action="run_linked").exists()
    other_project_run = RunFactory()
    bad = api.as_user(member).post(url, {"run_id": other_project_run.run_id}, format="json")
    assert bad.status_code == 400 and "run_id" in bad.json()
    assert api.as_user(viewer).delete(f"{url}{run.run_id}/").status_code == 403
    assert api.as_user(member).delete(f"{url}{run.run_id}/").status_code == 204
    assert not RunLink.objects.filter(ticket=ticket, active=True).exists()
    assert api.as_user(member).delete(f"{url}{run.run_id}/").status_code == 400
    assert api.as_user(UserFactory()).get(url).status_code == 404


def test_gates_report_pass_fail_pending_with_best_value_and_run(api, project, experiment, member_of):
    member, viewer = member_of(project, "member"), member_of(project, "viewer")
    ticket = ExperimentTicketFactory(project=project)
    url = f"/api/v1/tickets/{ticket.key}/gates/"
    created = api.as_user(member).post(url, {"metric": "val_f1", "op": ">=", "threshold": 0.9}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert created.json()["best_value"] is None
    assert api.as_user(viewer).post(url, {"metric": "x", "op": ">=", "threshold": 1}, format="json").status_code == 403
    bad = api.as_user(member).post(url, {"metric": "x", "op": "=>", "threshold": "high"}, format="json")
    assert bad.status_code == 400 and {"op", "threshold"} <= set(bad.json())
    dup = api.as_user(member).post(url, {"metric": "val_f1", "op": ">=", "threshold": 0.5}, format="json")
    assert dup.status_code == 400

    weak = RunFactory(experiment=experiment, name="weak", metrics={"val_f1": 0.85})
    link(weak, ticket)
    [g] = api.as_user(viewer).get(url).json()["results"]
    assert (g["status"], g["best_value"], g["best_run"]) == ("fail", 0.85, weak.run_id)
    strong = RunFactory(experiment=experiment, name="strong", metrics={"val_f1": 0.92})
    link(strong, ticket)
    [g] = api.as_user(viewer).get(url).json()["results"]
    assert (g["status"], g["best_value"], g["best_run"]) == ("pass", 0.92, strong.run_id)
    gate(ticket, metric="latency_ms", op="<", threshold=40)
    running = RunFactory(experiment=experiment, status="RUNNING", metrics={"latency_ms": 55})
    link(running, ticket)
    statuses = {g["metric"]: g["status"] for g in api.as_user(viewer).get(url).json()["results"]}
    assert statuses == {"val_f1": "pass", "latency_ms": "pending"}


@pytest.mark.parametrize("size", [2, 25])
def test_runs_list_api_costs_constant_queries(api, project, experiment, member_of, django_assert_max_num_queries, size):
    ticket = ExperimentTicketFactory(project=project)
    for i in range(size):
        link(RunFactory(experiment=experiment, name=f"r{i}"), ticket)
    client = api.as_user(member_of(project, "viewer"))
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/projects/{project.key}/runs/")
    assert len(response.json()["results"]) == size
    assert all(run["tickets"] == [ticket.key] for run in response.json()["results"])

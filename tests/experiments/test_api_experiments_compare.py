"""The experiments page's remaining actions over REST: list a project's experiments,
compare runs side by side, change an MLflow source."""

import pytest

from experiments.models import MlflowSource
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_experiments_listed_with_their_run_counts(api, project, member_of):
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project), name="defects")
    RunFactory.create_batch(3, experiment=experiment)
    ExperimentFactory(name="elsewhere")  # another project's
    listing = api.as_user(member_of(project, "viewer")).get(f"/api/v1/projects/{project.key}/experiments/").json()
    assert [(e["name"], e["run_count"]) for e in listing["results"]] == [("defects", 3)] and listing["next"] is None


@pytest.mark.parametrize("size", [1, 15])
def test_experiment_list_costs_constant_queries(api, project, member_of, size, django_assert_max_num_queries):
    source = MlflowSourceFactory(project=project)
    for _ in range(size):
        RunFactory(experiment=ExperimentFactory(source=source))
    client = api.as_user(member_of(project, "member"))
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/api/v1/projects/{project.key}/experiments/").json()["results"]) == size


def test_compare_runs_side_by_side(api, project, member_of):
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    a = RunFactory(experiment=experiment, params={"lr": "0.01", "layers": "3"}, metrics={"val_f1": 0.9})
    b = RunFactory(experiment=experiment, params={"lr": "0.02", "layers": "3"}, metrics={"val_f1": 0.95})
    client = api.as_user(member_of(project, "viewer"))
    response = client.get(f"/api/v1/projects/{project.key}/runs/compare/?run={b.run_id}&run={a.run_id}&run=nope")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [r["run_id"] for r in body["runs"]] == [b.run_id, a.run_id]
    assert body["params"] == [
        {"key": "layers", "values": ["3", "3"], "differs": False},
        {"key": "lr", "values": ["0.02", "0.01"], "differs": True},
    ]
    assert body["metrics"] == [{"key": "val_f1", "values": [0.95, 0.9], "differs": True}]


def test_compare_needs_two_to_ten_runs_of_the_project(api, project, member_of):
    run = RunFactory(experiment=ExperimentFactory(source=MlflowSourceFactory(project=project)))
    foreign = RunFactory()
    client = api.as_user(member_of(project, "member"))
    base = f"/api/v1/projects/{project.key}/runs/compare/"
    assert client.get(base).json().keys() == {"run"}
    assert client.get(f"{base}?run={run.run_id}&run={foreign.run_id}").status_code == 400  # not this project's
    many = "&".join(f"run=r{i}" for i in range(11))
    assert "at most" in client.get(f"{base}?{many}").json()["run"][0]


def test_compare_and_experiments_are_404_to_non_members(api, user):
    project = ProjectFactory()
    client = api.as_user(user)
    assert client.get(f"/api/v1/projects/{project.key}/experiments/").status_code == 404
    assert client.get(f"/api/v1/projects/{project.key}/runs/compare/?run=a&run=b").status_code == 404


def test_admin_changes_a_source(api, project, member_of):
    source = MlflowSourceFactory(project=project, name="old")
    client = api.as_user(member_of(project, "admin"))
    response = client.patch(
        f"/api/v1/mlflow-sources/{source.pk}/",
        {"name": "Prod", "fast_interval_seconds": 600, "enabled": False, "secret": "s3cret"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Prod" and body["fast_interval_seconds"] == 600 and body["enabled"] is False
    assert body["has_secret"] is True and "secret" not in body
    source.refresh_from_db()
    assert source.tracking_uri == "http://127.0.0.1:5999" and source.experiment_names == ["demo"]


def test_source_changes_are_checked(api, project, member_of):
    source = MlflowSourceFactory(project=project)
    client = api.as_user(member_of(project, "admin"))
    url = f"/api/v1/mlflow-sources/{source.pk}/"
    assert client.patch(url, {"fast_interval_seconds": 5}, format="json").json().keys() == {"fast_interval_seconds"}
    assert client.patch(url, {"experiment_names": []}, format="json").json().keys() == {"experiment_names"}
    refused = client.patch(url, {"tracking_uri": "http://10.1.2.3:5000"}, format="json")
    assert refused.status_code == 400 and refused.json().keys() == {"tracking_uri"}
    assert MlflowSource.objects.get(pk=source.pk).tracking_uri == "http://127.0.0.1:5999"


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("viewer", 403), (None, 404)])
def test_only_admins_change_sources(api, project, member_of, user, role, status):
    source = MlflowSourceFactory(project=project, name="old")
    client = api.as_user(member_of(project, role) if role else user)
    assert client.patch(f"/api/v1/mlflow-sources/{source.pk}/", {"name": "x"}, format="json").status_code == status
    assert MlflowSource.objects.get(pk=source.pk).name == "old"


def test_admin_sets_the_sentinel_and_members_read_it(api, project, member_of):
    admin = api.as_user(member_of(project, "admin"))
    url = f"/api/v1/projects/{project.key}/sentinel/"
    assert admin.get(url).status_code == 404  # none set yet
    body = {"champion_kind": "run", "champion_run_id": "abc123", "metric": "val_f1", "tolerance": 0.01}
    response = admin.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["metric"] == "val_f1" and response.json()["regression_ticket"] is None
    reader = api.as_user(member_of(project, "viewer"))
    assert reader.get(url).json()["champion_run_id"] == "abc123"


def test_sentinel_refusals_are_field_errors(api, project, member_of):
    admin = api.as_user(member_of(project, "admin"))
    url = f"/api/v1/projects/{project.key}/sentinel/"
    assert admin.put(url, {"metric": "f1"}, format="json").json().keys() == {"model_name"}  # alias needs a model
    assert admin.put(url, {"metric": "f1", "champion_kind": "run"}, format="json").json().keys() == {"champion_run_id"}
    assert admin.put(url, {"metric": "f1", "model_name": "m", "tolerance": -1}, format="json").json().keys() == {
        "tolerance"
    }
    assert admin.put(url, {}, format="json").json().keys() == {"metric"}


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("viewer", 403), (None, 404)])
def test_only_admins_set_the_sentinel(api, project, member_of, user, role, status):
    client = api.as_user(member_of(project, role) if role else user)
    body = {"metric": "f1", "model_name": "m"}
    assert client.put(f"/api/v1/projects/{project.key}/sentinel/", body, format="json").status_code == status

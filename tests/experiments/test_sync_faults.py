"""Faults on real services during a sync: a real `mlflow server` (runs logged by the real
MLflow client), a real Celery worker on Redis, PostgreSQL, everything asked for and read
through the API. Small pages (AIHUB_SYNC_PAGE_SIZE) make one sync span many pages.

- The worker is killed with SIGKILL mid-sync and started again: the sync is taken over once
  its lease expires and finishes with every run and every metric point exactly once.
- The MLflow server is stopped mid-sync: the sync ends as `error` with a clear message; the
  server is started again (same store, same port) and the next sync completes, no duplicates.
Nothing answers 500 meanwhile."""

import os
import time

import pytest
from django.db.models import Count

from experiments.models import MetricPoint, Run, SyncRecord
from experiments.services import source_create
from tests.experiments.mlflow_logging import log_run
from tests.experiments.mlflow_server import MlflowServer
from tests.experiments.workers import WorkerProcess
from tests.projects.factories import MembershipFactory, ProjectFactory
from tests.services import missing, require_postgres, require_redis

pytestmark = [
    pytest.mark.mlflow_server,
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

LEASE_SECONDS = 10
PAGE_SIZE = 1  # one run per page: a sync of RUNS runs is RUNS pages
RUNS = 60
STEPS = 15  # points per metric; two metrics per run
START_TIMEOUT = 400  # `mlflow server` takes 13-27 s to answer /health, far more on a loaded machine


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's own MLflow server: the tests stop and restart it."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-faults"))
    try:
        server.start(timeout=START_TIMEOUT)
    except (RuntimeError, OSError) as error:
        missing("an MLflow tracking server (`mlflow server`)", f"it could not start: {error}")
    yield server
    server.stop()


@pytest.fixture
def worker(transactional_db, tmp_path, settings):
    require_postgres()
    require_redis()
    from aihub.celery import app

    settings.AIHUB_SYNC_LEASE_SECONDS = LEASE_SECONDS
    worker = WorkerProcess(
        queue=f"faults-{os.getpid()}",
        log_dir=tmp_path,
        env={"AIHUB_SYNC_LEASE_SECONDS": str(LEASE_SECONDS), "AIHUB_SYNC_PAGE_SIZE": str(PAGE_SIZE)},
    )
    saved = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, worker.queue
    try:
        yield worker.start()
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        worker.stop()


@pytest.fixture
def logged(server):
    """An experiment of RUNS finished runs, each with two metric histories of STEPS points."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=server.url)
    name = f"faults-{time.time_ns()}"
    experiment_id = client.create_experiment(name)
    runs = {}
    for i in range(RUNS):
        losses = [round(1 / (i + step + 1), 6) for step in range(STEPS)]
        accuracy = [round(i / RUNS + step / 1000, 6) for step in range(STEPS)]
        run_id = log_run(
            client, experiment_id, name=f"run-{i}", params={"i": i}, metrics={"loss": losses, "acc": accuracy}
        )
        runs[run_id] = {"loss": losses, "acc": accuracy}
    return name, runs


class Api:
    """The API as a member uses it; every answer is kept to check that none was a 500."""

    def __init__(self, client, source):
        self.client, self.source, self.answers = client, source, []

    def sync_now(self) -> dict:
        answer = self.client.post(f"/api/v1/mlflow-sources/{self.source.pk}/sync/")
        self.answers.append(answer.status_code)
        assert answer.status_code == 202, answer.content
        return answer.json()

    def last_sync(self) -> dict:
        answer = self.client.get(f"/api/v1/mlflow-sources/{self.source.pk}/")
        self.answers.append(answer.status_code)
        assert answer.status_code == 200, answer.content
        return answer.json()["last_sync"]

    def wait(self, record_id: int, until, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.last_sync()
            if last["id"] == record_id and until(last):
                return last
            time.sleep(0.1)
        raise AssertionError(f"sync {record_id} never got there: {self.last_sync()}")


def _setup(api, server, experiment_name):
    project = ProjectFactory(key="FLT")
    admin = MembershipFactory(project=project, role="admin").user
    member = MembershipFactory(project=project, role="member").user
    source = source_create(project=project, user=admin, tracking_uri=server.url, experiment_names=[experiment_name])
    return Api(api.as_user(member), source)


def _assert_exactly_once(source, runs: dict) -> None:
    stored = {run.run_id: run for run in Run.objects.filter(source=source)}
    assert set(stored) == set(runs)
    assert Run.objects.filter(source=source).count() == len(runs)  # no run twice
    assert not (
        MetricPoint.objects.filter(run__source=source)
        .values("run", "key", "step")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )  # no point twice
    assert MetricPoint.objects.filter(run__source=source).count() == len(runs) * 2 * STEPS
    for run_id, metrics in runs.items():
        for key, values in metrics.items():
            history = list(
                MetricPoint.objects.filter(run=stored[run_id], key=key).order_by("step").values_list("value", flat=True)
            )
            assert history == pytest.approx(values), (run_id, key)


def test_worker_killed_mid_sync_then_restarted_the_sync_is_taken_over_and_completes_exactly_once(
    api, server, worker, logged
):
    experiment_name, runs = logged
    api = _setup(api, server, experiment_name)

    first = api.sync_now()
    api.wait(first["id"], lambda last: last["status"] == "running" and last["pages"] >= 5)
    worker.kill9()

    lost = SyncRecord.objects.get(pk=first["id"])
    assert lost.status == "running" and 0 < Run.objects.filter(source=api.source).count() < RUNS, (
        "the worker must die mid-sync for this test to mean anything"
    )
    # Nothing runs now. Until the lease expires "Sync now" joins the sync; after, it takes it over.
    worker.start()
    deadline = time.monotonic() + LEASE_SECONDS + 60
    while (taken_over := api.sync_now())["id"] == first["id"]:
        assert time.monotonic() < deadline, "the lost sync was never taken over"
        time.sleep(0.5)

    done = api.wait(taken_over["id"], lambda last: last["status"] not in ("queued", "running"))

    assert done["status"] == "ok", (done, worker.logs())
    lost.refresh_from_db()
    assert lost.status == "error" and lost.error.startswith("Worker lost: no heartbeat")
    assert done["runs_created"] + lost.runs_created == RUNS  # what the dead worker wrote was kept
    _assert_exactly_once(api.source, runs)
    api.source.refresh_from_db()
    assert api.source.lock_token == ""  # released
    # A sync on the restarted worker after that changes nothing and duplicates nothing.
    again = api.sync_now()
    again = api.wait(again["id"], lambda last: last["status"] not in ("queued", "running"))
    assert again["status"] == "ok" and (again["runs_created"], again["points_written"]) == (0, 0)
    _assert_exactly_once(api.source, runs)
    assert set(api.answers) == {200, 202}


def test_mlflow_stopped_mid_sync_ends_in_error_then_restarted_the_next_sync_completes_without_duplicates(
    api, server, worker, logged
):
    experiment_name, runs = logged
    api = _setup(api, server, experiment_name)

    first = api.sync_now()
    api.wait(first["id"], lambda last: last["status"] == "running" and last["pages"] >= 5)
    server.stop()
    try:
        failed = api.wait(first["id"], lambda last: last["status"] not in ("queued", "running"), timeout=150)

        assert failed["status"] == "error", failed
        assert (
            f"Cannot reach MLflow at {server.url}" in failed["error"] and "gave up after 4 attempts" in failed["error"]
        )
        written = Run.objects.filter(source=api.source).count()
        assert 0 < written < RUNS
        # Each run written is whole: every point of both its histories.
        assert MetricPoint.objects.filter(run__source=api.source).count() == written * 2 * STEPS
    finally:
        server.start(timeout=START_TIMEOUT)  # the same backend store, the same port

    second = api.sync_now()
    assert second["id"] != first["id"]
    done = api.wait(second["id"], lambda last: last["status"] not in ("queued", "running"))

    assert done["status"] == "ok", (done, worker.logs())
    assert done["runs_created"] == RUNS - written
    _assert_exactly_once(api.source, runs)
    assert set(api.answers) == {200, 202}

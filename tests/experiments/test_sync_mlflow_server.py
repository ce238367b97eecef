"""The sync against a real `mlflow server`, logged to by the real MLflow client. Under CI
(or with PostgreSQL and Redis configured) every sync runs on a real Celery worker."""

import math
import threading

import pytest

from experiments.models import MetricPoint, ModelVersion, RegressionFlag, Run, RunLink, SyncRecord
from experiments.services import sentinel_configure, source_create, source_sync_request, source_update
from experiments.sync.runner import SourceBusy, sync_run
from tests.experiments.factories import ExperimentTicketFactory
from tests.experiments.mlflow_logging import add_metric, add_tag, log_run, now_ms
from tests.experiments.mlflow_server import free_port
from tests.projects.factories import MembershipFactory, ProjectFactory
from tests.services import require_postgres

pytestmark = [pytest.mark.mlflow_server, pytest.mark.django_db(transaction=True)]

DAY = 86_400_000


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def admin(project):
    return MembershipFactory(project=project, role="admin").user


@pytest.fixture
def experiment_id(mlflow_client, experiment_name):
    return mlflow_client.create_experiment(experiment_name)


@pytest.fixture
def source(project, admin, mlflow_server, experiment_name, experiment_id):
    return source_create(
        project=project, user=admin, tracking_uri=mlflow_server.url, experiment_names=[experiment_name]
    )


def history(run, key):
    return list(MetricPoint.objects.filter(run=run, key=key).order_by("step").values_list("step", "value"))


def test_first_sync_imports_runs_histories_tags_links_and_registered_versions(
    run_sync, source, project, mlflow_client, experiment_id
):
    ticket = ExperimentTicketFactory(project=project, title="Tune the detector")
    other = ExperimentTicketFactory(project=project, title="Write the report")
    losses = [1 / (step + 1) for step in range(20)]
    best = log_run(
        mlflow_client,
        experiment_id,
        name="resnet-lr0.01",
        params={"lr": 0.01, "layers": 50},
        metrics={"loss": losses, "val_f1": [0.81, 0.88, 0.93]},
        tags={"aihub.ticket": f"{ticket.key}, {other.key.lower()}", "mlflow.source.git.commit": "abc123"},
    )
    log_run(
        mlflow_client,
        experiment_id,
        name="resnet-lr0.1",
        params={"lr": 0.1},
        metrics={"val_f1": [0.79]},
        tags={"aihub.ticket": "CV-999"},
    )
    running = log_run(mlflow_client, experiment_id, name="still-going", metrics={"loss": [2.0]}, status=None)
    mlflow_client.create_registered_model("detector")
    version = mlflow_client.create_model_version("detector", f"runs:/{best}/model", run_id=best)
    mlflow_client.set_registered_model_alias("detector", "champion", version.version)

    record = run_sync(source)

    assert record.status == "ok", record.error
    assert (record.runs_created, record.runs_updated, record.runs_seen) == (3, 0, 3)
    assert Run.objects.filter(source=source).count() == 3
    run = Run.objects.get(run_id=best)
    assert run.name == "resnet-lr0.01" and run.status == "FINISHED" and run.experiment.experiment_id == experiment_id
    assert run.params == {"lr": "0.01", "layers": "50"}
    assert run.metrics == {"loss": losses[-1], "val_f1": 0.93}
    assert run.source_commit == "abc123" and run.duration_seconds == 60
    assert history(run, "loss") == list(enumerate(losses))
    assert history(run, "val_f1") == [(0, 0.81), (1, 0.88), (2, 0.93)]
    assert Run.objects.get(run_id=running).status == "RUNNING"
    # The tag links the run to both tickets (case and spaces forgiven); unknown keys are ignored.
    assert set(RunLink.objects.filter(run=run).values_list("ticket__key", flat=True)) == {ticket.key, other.key}
    assert RunLink.objects.filter(run__project=project).count() == 2
    registered = ModelVersion.objects.get(source=source, name="detector")
    assert registered.run_id == best and registered.aliases == ["champion"]
    # History reads are per metric key in bulk, not per run: 2 keys -> 2 requests.
    assert record.history_requests == 2
    assert record.points_written == 20 + 3 + 1 + 1  # loss and val_f1, val_f1, loss
    source.refresh_from_db()
    assert source.fast_watermark_ms and source.last_full_at


def test_incremental_sync_writes_only_what_changed_including_a_late_metric_on_an_old_run(
    run_sync, source, mlflow_client, experiment_id
):
    old_start = now_ms() - 3 * DAY
    old = log_run(mlflow_client, experiment_id, name="old", metrics={"acc": [0.5, 0.6]}, start_ms=old_start)
    untouched = [
        log_run(mlflow_client, experiment_id, name=f"quiet-{i}", metrics={"acc": [0.1 * i]}, start_ms=old_start + i)
        for i in range(5)
    ]
    assert run_sync(source).runs_created == 6

    nothing = run_sync(source)
    assert (nothing.runs_created, nothing.runs_updated, nothing.history_requests, nothing.points_written) == (
        0,
        0,
        0,
        0,
    )
    assert nothing.runs_seen == 6

    add_metric(mlflow_client, old, "acc", 0.7, step=2)  # a late metric on a run finished days ago
    new = log_run(mlflow_client, experiment_id, name="new", metrics={"acc": [0.2, 0.3], "loss": [1.0]})
    record = run_sync(source)

    assert (record.runs_created, record.runs_updated) == (1, 1)
    # acc of the old and the new run share one bulk request; loss of the new run is another.
    assert record.history_requests == 2
    assert record.points_written == 3 + 2 + 1
    assert history(Run.objects.get(run_id=old), "acc") == [(0, 0.5), (1, 0.6), (2, 0.7)]
    assert Run.objects.get(run_id=old).metrics["acc"] == 0.7
    assert Run.objects.get(run_id=new).metrics == {"acc": 0.3, "loss": 1.0}
    assert MetricPoint.objects.filter(run__run_id__in=untouched).count() == 5
    assert Run.objects.filter(source=source).count() == 7


def test_deleted_run_is_marked_and_odd_values_are_kept_or_rejected_with_a_reason(
    run_sync, source, mlflow_client, experiment_id
):
    gone = log_run(mlflow_client, experiment_id, name="to-delete", metrics={"acc": [0.5]})
    odd = log_run(
        mlflow_client,
        experiment_id,
        name="odd ☃ run",
        params={"huge": "x" * 6000, "ünï": "çödé ☃ \t\n"},
        metrics={"nan_metric": [float("nan")], "inf_metric": [float("inf")], "neg": [-1e308]},
        tags={"note": "line1\nline2 \u2028 \U0001f600"},
    )
    mlflow_client.set_tag(odd, "bad", "nul\x00byte")
    run_sync(source)
    mlflow_client.delete_run(gone)

    record = run_sync(source)

    assert record.status == "ok" and record.runs_deleted == 1
    deleted = Run.objects.get(run_id=gone)
    assert deleted.deleted and deleted.lifecycle == "deleted" and not deleted.purged
    run = Run.objects.get(run_id=odd)
    assert run.name == "odd ☃ run"
    assert run.params["huge"] == "x" * 6000 and run.params["ünï"] == "çödé ☃ \t\n"
    assert run.tags["note"] == "line1\nline2 \u2028 \U0001f600"
    assert run.metrics["nan_metric"] == "NaN" and math.isnan(run.metric_value("nan_metric"))
    assert run.metric_value("inf_metric") > 1e307  # MLflow's SQL store clamps infinity to the largest double
    assert math.isnan(MetricPoint.objects.get(run=run, key="nan_metric").real_value)
    assert history(run, "neg") == [(0, -1e308)]
    # A NUL byte cannot be stored by PostgreSQL: that tag is rejected with its reason, not the run.
    assert "bad" not in run.tags and "NUL" in run.rejected["tag:bad"]
    first = SyncRecord.objects.filter(source=source).order_by("created_at").first()
    assert any("NUL" in warning for warning in first.warnings)


def test_a_sync_runs_the_regression_sentinel_on_the_runs_it_wrote(
    run_sync, source, project, mlflow_client, experiment_id
):
    """The task hands the sentinel to the runner (sync never imports services): a finished
    run below the champion is flagged by the sync that imported it."""
    model = f"detector-{experiment_id}"
    champion = log_run(
        mlflow_client, experiment_id, name="champ", metrics={"val_f1": [0.93]}, start_ms=now_ms() - 3 * DAY
    )
    mlflow_client.create_registered_model(model)
    version = mlflow_client.create_model_version(model, f"runs:/{champion}/model", run_id=champion)
    mlflow_client.set_registered_model_alias(model, "champion", version.version)
    sentinel_configure(project=project, metric="val_f1", model_name=model, alias="champion", tolerance=0.02)
    worse = log_run(mlflow_client, experiment_id, name="worse", metrics={"val_f1": [0.85]})
    log_run(mlflow_client, experiment_id, name="close", metrics={"val_f1": [0.92]})

    record = run_sync(source)

    assert record.status == "ok", record.error
    assert list(RegressionFlag.objects.filter(run__source=source).values_list("run__run_id", flat=True)) == [worse]


def test_unreachable_server_is_an_error_then_the_next_sync_completes(
    run_sync, source, mlflow_server, mlflow_client, experiment_id
):
    log_run(mlflow_client, experiment_id, name="r1", metrics={"acc": [0.5]})
    source_update(source=source, tracking_uri=f"http://127.0.0.1:{free_port()}")

    failed = run_sync(source)

    assert failed.status == "error"
    assert "Cannot reach MLflow" in failed.error and "connection refused" in failed.error
    assert failed.attempts == 4  # the first try and three retries with backoff
    assert (failed.finished_at - failed.created_at).total_seconds() < 120
    assert not Run.objects.filter(source=source).exists()
    source.refresh_from_db()
    assert source.fast_watermark_ms is None and not source.lock_token

    source_update(source=source, tracking_uri=mlflow_server.url)
    record = run_sync(source)
    assert record.status == "ok" and record.runs_created == 1


def test_a_server_failing_mid_sync_leaves_nothing_half_written(
    run_sync, source, mlflow_server, mlflow_client, experiment_id
):
    from tests.experiments.proxy import FailingProxy

    run_ids = [log_run(mlflow_client, experiment_id, name=f"r{i}", metrics={"acc": [0.1, 0.2]}) for i in range(3)]
    with FailingProxy(mlflow_server.url, fail_path="get-history-bulk") as proxy:
        source_update(source=source, tracking_uri=proxy.url)
        failed = run_sync(source)
    assert failed.status == "error" and "503" in failed.error
    # The page of runs was read, but its histories were not: no run of it was written.
    assert not Run.objects.filter(source=source).exists()
    assert not MetricPoint.objects.filter(run__source=source).exists()

    source_update(source=source, tracking_uri=mlflow_server.url)
    record = run_sync(source)
    assert record.status == "ok" and record.runs_created == 3
    assert MetricPoint.objects.filter(run__run_id__in=run_ids).count() == 6


def test_concurrent_sync_requests_for_one_source_never_run_side_by_side(source, mlflow_client, experiment_id):
    require_postgres()  # two threads writing at once: SQLite's in-memory test database locks instead
    for i in range(30):
        log_run(mlflow_client, experiment_id, name=f"r{i}", metrics={"acc": [i / 30]})
    # Two requests for a full sync while one is queued: the second joins the first.
    first = source_sync_request(source=source, kind=SyncRecord.Kind.FULL)
    # (in-process the eager task already ran; queue two fresh records to race them)
    a = SyncRecord.objects.create(source=source, kind=SyncRecord.Kind.FULL)
    b = SyncRecord.objects.create(source=source, kind=SyncRecord.Kind.FULL)
    outcomes, barrier = {}, threading.Barrier(2)

    def race(record):
        from django.db import connection

        barrier.wait()
        try:
            outcomes[record.pk] = sync_run(record_id=record.pk).status
        except SourceBusy:
            outcomes[record.pk] = "busy"
        except Exception as error:  # reported in the assertion below
            outcomes[record.pk] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(r,)) for r in (a, b)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert first.pk
    assert sorted(outcomes.values()) in (["busy", "ok"], ["ok", "ok"])
    assert Run.objects.filter(source=source).count() == 30
    assert MetricPoint.objects.filter(run__source=source).count() == 30
    source.refresh_from_db()
    assert not source.lock_token


def test_requests_while_a_full_sync_is_queued_join_it(source):
    record = SyncRecord.objects.create(source=source, kind=SyncRecord.Kind.FULL, status=SyncRecord.Status.RUNNING)
    assert source_sync_request(source=source, kind=SyncRecord.Kind.FULL) == record
    assert source_sync_request(source=source, kind=SyncRecord.Kind.FAST) is None
    assert SyncRecord.objects.filter(source=source).count() == 1


def test_two_tiers_fast_loop_misses_only_what_mlflow_cannot_show_and_the_full_reconcile_catches_it(
    run_sync, source, mlflow_server, mlflow_client, experiment_id
):
    old = now_ms() - 2 * DAY
    finished = log_run(mlflow_client, experiment_id, name="finished", metrics={"acc": [0.5]}, start_ms=old)
    running = log_run(
        mlflow_client, experiment_id, name="running", metrics={"loss": [1.0]}, start_ms=old + 1, status=None
    )
    to_restore = log_run(mlflow_client, experiment_id, name="to-restore", start_ms=old + 2)
    to_purge = log_run(mlflow_client, experiment_id, name="to-purge", start_ms=old + 3)
    assert run_sync(source).runs_created == 4

    new = log_run(mlflow_client, experiment_id, name="new", metrics={"acc": [0.6]})
    backdated = log_run(
        mlflow_client,
        experiment_id,
        name="backdated",
        metrics={"acc": [0.4]},
        start_ms=old - DAY,
        end_ms=old - DAY + 60_000,
    )
    add_metric(mlflow_client, finished, "acc", 0.9, step=1, timestamp=old + 5)
    add_tag(mlflow_client, finished, "reviewed", "yes")
    add_metric(mlflow_client, running, "loss", 0.5, step=1)
    mlflow_client.set_terminated(running, status="FAILED")
    mlflow_client.delete_run(to_restore)
    mlflow_client.delete_run(to_purge)

    fast = run_sync(source, SyncRecord.Kind.FAST)

    assert fast.kind == "fast" and fast.status == "ok", fast.error
    runs = {run.run_id: run for run in Run.objects.filter(source=source)}
    assert new in runs and backdated not in runs
    assert runs[running].status == "FAILED" and runs[running].metrics["loss"] == 0.5
    assert runs[to_restore].deleted and runs[to_purge].deleted
    assert runs[finished].metrics["acc"] == 0.5 and "reviewed" not in runs[finished].tags  # invisible to the fast loop

    mlflow_client.restore_run(to_restore)
    mlflow_server.gc(to_purge)
    fast2 = run_sync(source, SyncRecord.Kind.FAST)

    assert fast2.status == "ok" and fast2.runs_purged == 1
    runs = {run.run_id: run for run in Run.objects.filter(source=source)}
    assert not runs[to_restore].deleted and runs[to_restore].lifecycle == "active"
    assert runs[to_purge].purged and runs[to_purge].lifecycle == "purged"
    assert backdated not in runs and runs[finished].metrics["acc"] == 0.5

    full = run_sync(source, SyncRecord.Kind.FULL)

    assert full.status == "ok" and (full.runs_created, full.runs_updated) == (1, 1)
    runs = {run.run_id: run for run in Run.objects.filter(source=source)}
    assert backdated in runs and runs[backdated].metrics == {"acc": 0.4}
    assert runs[finished].metrics["acc"] == 0.9 and runs[finished].tags["reviewed"] == "yes"
    assert history(runs[finished], "acc") == [(0, 0.5), (1, 0.9)]
    assert history(runs[running], "loss") == [(0, 1.0), (1, 0.5)]
    assert len(runs) == 6 == Run.objects.filter(source=source).values("run_id").distinct().count()
    assert MetricPoint.objects.filter(run__source=source).count() == 2 + 2 + 1 + 1  # no point twice


def test_test_connection_names_found_and_missing_experiments(mlflow_server, experiment_name, experiment_id):
    from experiments.services import source_test_connection

    ok, message = source_test_connection(
        tracking_uri=mlflow_server.url, experiment_names=[experiment_name, "no-such-experiment"]
    )
    assert ok and f"Found: {experiment_name}" in message and "Not found (yet): no-such-experiment" in message

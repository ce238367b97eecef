"""/metrics for operators: MLflow syncs (from the database, whoever ran them), Celery queue
length (from Redis), synced model metrics, probes that answer on a pod's IP, and counters
summed over every gunicorn worker."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from experiments.models import SyncRecord
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.services import require_redis

ROOT = Path(__file__).resolve().parent.parent.parent


def scrape(client, **headers) -> dict:
    """Every sample of /metrics as {(name, frozenset(labels)): value}."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return parse(response.content.decode())


def parse(text: str) -> dict:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def sync(source, *, kind="fast", status="ok", seconds=10, finished_ago=0, **counts):
    finished = timezone.now() - timedelta(seconds=finished_ago)
    return SyncRecord.objects.create(
        source=source,
        kind=kind,
        status=status,
        started_at=finished - timedelta(seconds=seconds),
        finished_at=finished,
        **counts,
    )


def source_labels(source):
    return {"project": source.project.key, "source_id": str(source.pk), "source": source.name or f"source-{source.pk}"}


@pytest.mark.django_db
def test_sync_outcomes_imports_and_durations_come_from_sync_records(client):
    source = MlflowSourceFactory(name="team-server")
    sync(source, seconds=2, runs_created=3, runs_updated=1, points_written=100)
    sync(source, seconds=40, runs_created=2, runs_updated=2, points_written=100)
    sync(source, kind="full", status="error", seconds=10, error="connection refused")
    SyncRecord.objects.create(source=source, kind="fast", status="running", started_at=timezone.now())

    samples = scrape(client)

    assert value(samples, "aihub_sync_runs_total", kind="fast", outcome="ok") == 2
    assert value(samples, "aihub_sync_runs_total", kind="full", outcome="error") == 1
    assert value(samples, "aihub_sync_runs_total", kind="fast", outcome="running") is None  # not finished
    assert value(samples, "aihub_sync_runs_imported_total", kind="fast") == 8
    assert value(samples, "aihub_sync_points_imported_total", kind="fast") == 200
    assert value(samples, "aihub_sync_duration_seconds_bucket", kind="fast", le="5.0") == 1
    assert value(samples, "aihub_sync_duration_seconds_bucket", kind="fast", le="60.0") == 2
    assert value(samples, "aihub_sync_duration_seconds_count", kind="fast") == 2
    assert value(samples, "aihub_sync_duration_seconds_sum", kind="fast") == pytest.approx(42)
    assert value(samples, "aihub_sync_duration_seconds_count", kind="full") == 1


@pytest.mark.django_db
def test_last_success_and_failing_per_source(client):
    healthy, broken, never = MlflowSourceFactory(name="healthy"), MlflowSourceFactory(), MlflowSourceFactory()
    sync(healthy, finished_ago=600)
    newest_ok = sync(healthy, finished_ago=60)
    sync(broken, finished_ago=900)
    sync(broken, kind="full", status="error", finished_ago=30)
    sync(never, status="error")
    MlflowSourceFactory(enabled=False)  # a disabled source is nobody's concern

    samples = scrape(client)

    assert value(samples, "aihub_sync_last_success_timestamp_seconds", **source_labels(healthy)) == pytest.approx(
        newest_ok.finished_at.timestamp()
    )
    assert value(samples, "aihub_sync_source_failing", **source_labels(healthy)) == 0
    assert value(samples, "aihub_sync_source_failing", **source_labels(broken)) == 1
    assert value(samples, "aihub_sync_last_success_timestamp_seconds", **source_labels(broken)) is not None
    assert value(samples, "aihub_sync_source_failing", **source_labels(never)) == 1
    assert value(samples, "aihub_sync_last_success_timestamp_seconds", **source_labels(never)) is None
    assert value(samples, "aihub_sync_interval_seconds", **source_labels(healthy)) == 300
    assert len([key for key in samples if key[0] == "aihub_sync_interval_seconds"]) == 3


@pytest.mark.django_db
@override_settings(AIHUB_METRICS_EXPORTED_KEYS=["accuracy", "val_loss"])
def test_latest_finished_run_metric_per_experiment_for_configured_keys_only(client):
    experiment = ExperimentFactory(name="churn")
    now = timezone.now()
    RunFactory(experiment=experiment, end_time=now - timedelta(days=2), metrics={"accuracy": 0.91, "val_loss": 0.3})
    RunFactory(experiment=experiment, end_time=now - timedelta(days=1), metrics={"accuracy": 0.84, "f1": 0.7})
    RunFactory(experiment=experiment, status="RUNNING", end_time=None, metrics={"accuracy": 0.1})
    RunFactory(experiment=experiment, end_time=now, metrics={"val_loss": 0.5}, deleted=True)
    RunFactory(experiment=experiment, end_time=now - timedelta(hours=1), metrics={"other": 1.0})
    labels = {"project": experiment.source.project.key, "source_id": str(experiment.source_id), "experiment": "churn"}

    samples = scrape(client)

    assert value(samples, "aihub_run_metric_latest", metric="accuracy", **labels) == pytest.approx(0.84)
    assert value(samples, "aihub_run_metric_latest", metric="val_loss", **labels) == pytest.approx(0.3)
    assert value(samples, "aihub_run_metric_latest", metric="f1", **labels) is None
    assert value(samples, "aihub_run_metric_latest", metric="other", **labels) is None


def _scrape_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        scrape(client)
    return len(queries)


@pytest.mark.django_db
@override_settings(AIHUB_METRICS_EXPORTED_KEYS=["accuracy"])
def test_a_scrape_costs_the_same_queries_at_any_size(client):
    def grow():
        experiment = ExperimentFactory()
        RunFactory(experiment=experiment, metrics={"accuracy": 0.9})
        sync(experiment.source)
        sync(experiment.source, status="error")

    grow()
    small = _scrape_queries(client)
    for _ in range(5):
        grow()
    assert _scrape_queries(client) == small <= 3


@pytest.mark.django_db
def test_celery_queue_length_from_redis(client, settings):
    require_redis()
    import redis

    queue = f"aihub-test-queue-{os.getpid()}"
    settings.AIHUB_METRICS_QUEUES = [queue, f"{queue}-empty"]
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete(queue)
    broker.rpush(queue, "a", "b", "c")
    try:
        samples = scrape(client)
    finally:
        broker.delete(queue)
    assert value(samples, "aihub_celery_queue_length", queue=queue) == 3
    assert value(samples, "aihub_celery_queue_length", queue=f"{queue}-empty") == 0
    assert value(samples, "aihub_celery_broker_up") == 1


@pytest.mark.django_db
def test_celery_default_queue_is_measured_unless_queues_are_named(client, settings):
    require_redis()
    import redis

    queue = f"aihub-test-default-{os.getpid()}"
    settings.AIHUB_METRICS_QUEUES = []
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.rpush(queue, "a")
    try:
        samples = scrape(client)
    finally:
        broker.delete(queue)
    assert value(samples, "aihub_celery_queue_length", queue=queue) == 1


@pytest.mark.django_db
def test_queue_length_fails_soft_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    samples = scrape(client)
    assert value(samples, "aihub_celery_broker_up") == 0
    assert not [key for key in samples if key[0] == "aihub_celery_queue_length"]
    assert value(samples, "aihub_http_requests_total", method="GET", view="metrics", status="200") is not None


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["aihub.example.com"])
def test_probes_answer_on_a_pod_ip_other_pages_do_not(client):
    pod = {"HTTP_HOST": "10.42.0.17:8000"}
    assert client.get("/healthz", **pod).status_code == 200
    assert client.get("/readyz", **pod).status_code == 200
    assert client.get("/metrics", **pod).status_code == 200
    assert client.get("/accounts/login/", **pod).status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="aihub.example.com").status_code == 200


@pytest.mark.django_db
@override_settings(AIHUB_METRICS_TOKEN="s3cret-scrape-token")
def test_metrics_token_when_configured(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert (
        "aihub_http_requests_total"
        in client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").content.decode()
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_sums_counters_over_workers_and_logs_json():
    """gunicorn.conf.py turns on prometheus_client's multiprocess mode: 20 requests spread
    over two workers are 20 in one scrape, whichever worker answers it. With LOG_FORMAT=json
    every line gunicorn and the app write is JSON, even with the image's --access-logfile -."""
    port = _free_port()
    data = tempfile.mkdtemp(prefix="aihub-gunicorn-")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}}
    env.update(AIHUB_DATA_DIR=data, DEBUG="true", AIHUB_GC_FREEZE="false", LOG_FORMAT="json")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "aihub.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-control-socket",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=2)  # counted apart from /healthz
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.1)
        for _ in range(20):
            urllib.request.urlopen(f"{base}/healthz", timeout=30)
        scrapes = [parse(urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()) for _ in range(4)]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    for samples in scrapes:
        assert value(samples, "aihub_http_requests_total", method="GET", view="healthz", status="200") == 20
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    assert len([line for line in lines if line["logger"] == "aihub.request" and line["path"] == "/healthz"]) == 20
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)

"""Leases of syncs: a sync whose worker died is taken over once its lease expires, a live
one is joined, the heartbeat keeps a long one alive, and a request the task queue cannot
take says so (503 / a message in the page) and leaves nothing queued. On PostgreSQL, with
a real (unreachable or stopped) Redis broker."""

import socket
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from experiments.models import SyncRecord
from experiments.services import SyncQueueUnavailable, source_sync_request, sources_dispatch_due
from experiments.sync.watermark import Heartbeat, LeaseLost, lease_acquire
from tests.experiments.factories import MlflowSourceFactory
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres():
    require_postgres()


@pytest.fixture
def source(project):
    return MlflowSourceFactory(project=project, name="Team MLflow")


def _lost_sync(source, *, seconds_ago=120, kind=SyncRecord.Kind.FULL):
    """What `kill -9` of a worker mid-sync leaves: a running record and the source's lock,
    both past their lease."""
    past = timezone.now() - timedelta(seconds=seconds_ago)
    source.lock_token, source.lock_expires_at = "dead-worker", past
    source.save()
    return SyncRecord.objects.create(
        source=source, kind=kind, status=SyncRecord.Status.RUNNING, started_at=past, pages=4, lease_expires_at=past
    )


# --- Taking over and joining -----------------------------------------------------------


@pytest.mark.django_db
def test_sync_now_takes_over_a_sync_whose_worker_died(
    api, project, source, member_of, django_capture_on_commit_callbacks
):
    lost = _lost_sync(source)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = api.as_user(member_of(project, "member")).post(f"/api/v1/mlflow-sources/{source.pk}/sync/")

    assert answer.status_code == 202 and answer.json()["id"] != lost.pk and answer.json()["status"] == "queued"
    assert len(callbacks) == 1  # a new task is queued
    lost.refresh_from_db()
    assert lost.status == "error" and lost.error.startswith("Worker lost: no heartbeat") and lost.finished_at
    source.refresh_from_db()
    assert source.lock_token == "" and source.lock_expires_at is None  # the next sync can start at once
    assert lease_acquire(source.pk) is not None


@pytest.mark.django_db
def test_sync_now_joins_a_sync_whose_lease_is_fresh(
    api, project, source, member_of, django_capture_on_commit_callbacks
):
    running = SyncRecord.objects.create(
        source=source, kind="full", status="running", lease_expires_at=timezone.now() + timedelta(seconds=50)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = api.as_user(member_of(project, "member")).post(f"/api/v1/mlflow-sources/{source.pk}/sync/")

    assert answer.status_code == 202 and answer.json()["id"] == running.pk and answer.json()["status"] == "running"
    assert callbacks == [] and SyncRecord.objects.filter(source=source).count() == 1


@pytest.mark.django_db
def test_the_minute_dispatch_takes_over_a_lost_sync_of_the_same_kind(source, django_capture_on_commit_callbacks):
    now = timezone.now()
    source.last_full_at = source.last_fast_at = now  # nothing is due: only the take-over queues
    source.save()
    lost = _lost_sync(source, kind=SyncRecord.Kind.FAST)
    source.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sources_dispatch_due(now=now) == 1

    lost.refresh_from_db()
    assert lost.status == "error" and "Worker lost" in lost.error
    replacement = SyncRecord.objects.get(source=source, status="queued")
    assert replacement.kind == "fast" and len(callbacks) == 1
    # A second tick finds it alive and queues nothing more.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sources_dispatch_due(now=now) == 0
    assert callbacks == []


@pytest.mark.django_db
def test_the_page_shows_why_a_lost_sync_ended(client, project, source, member_of, django_capture_on_commit_callbacks):
    _lost_sync(source)
    client.force_login(member_of(project, "member"))
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("experiments:source_sync", args=[project.key, source.pk]), HTTP_HX_REQUEST="true")
    html = client.get(reverse("experiments:source", args=[project.key, source.pk])).content.decode()
    assert "Worker lost: no heartbeat" in html and "Full reconcile queued" in html


# --- Heartbeat -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_heartbeat_extends_the_lease_and_stops_a_sync_that_was_taken_over(source, settings):
    settings.AIHUB_SYNC_LEASE_SECONDS = 3  # a beat every 0.5 s
    token = lease_acquire(source.pk)
    record = SyncRecord.objects.create(
        source=source, kind="full", status="running", lease_expires_at=timezone.now() + timedelta(seconds=3)
    )
    first_deadline = record.lease_expires_at
    with Heartbeat(source.pk, token, record.pk) as heartbeat:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            record.refresh_from_db()
            if record.lease_expires_at > first_deadline:
                break
            time.sleep(0.1)
        source.refresh_from_db()
        assert record.lease_expires_at > first_deadline  # the thread renewed it, no page needed
        assert source.lock_token == token and source.lock_expires_at > first_deadline
        heartbeat.check()  # still ours

        # Another sync took the source over (as after an expiry): the next page stops this one.
        type(source).objects.filter(pk=source.pk).update(lock_token="someone-else")
        with pytest.raises(LeaseLost):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                heartbeat.check()
                time.sleep(0.1)


# --- The task queue (broker) cannot take the sync --------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker():
    """Point the Celery app at another broker URL for the test (a closed port, or a
    redis-server of the test's own), not eager, and back afterwards."""
    from aihub.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue

    def use(url: str):
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        app.conf.task_default_queue = "sync-lease-tests"
        app._pool = None  # publish through a fresh connection to this URL
        app.amqp._producer_pool = None

    yield use
    app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_sync_now_with_the_broker_down_answers_503_and_leaves_nothing_queued(
    api, client, project, source, member_of, broker
):
    broker(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    member = member_of(project, "member")

    answer = api.as_user(member).post(f"/api/v1/mlflow-sources/{source.pk}/sync/")

    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert "could not be queued" in answer.json()["detail"] and "Redis" in answer.json()["detail"]
    assert not SyncRecord.objects.filter(source=source, status__in=["queued", "running"]).exists()
    assert SyncRecord.objects.get(source=source).status == "error"
    # A second request does not join anything: it tries again (and says so again).
    assert api.as_user(member).post(f"/api/v1/mlflow-sources/{source.pk}/sync/").status_code == 503
    assert not SyncRecord.objects.filter(source=source, status__in=["queued", "running"]).exists()

    # The page: the htmx button shows the message in place; without htmx, a flash message.
    client.force_login(member)
    url = reverse("experiments:source_sync", args=[project.key, source.pk])
    partial = client.post(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and 'role="alert"' in partial.content.decode()
    assert "could not be queued" in partial.content.decode()
    page = client.post(url, follow=True)
    assert page.status_code == 200 and "flash-error" in page.content.decode()
    assert "could not be queued" in page.content.decode()
    assert not SyncRecord.objects.filter(source=source, status__in=["queued", "running"]).exists()


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_then_started_the_next_request_is_queued_exactly_once(source, broker, private_redis):
    queue = private_redis.client()
    broker(private_redis.url())
    first = source_sync_request(source=source)
    assert first.status == "queued" and queue.llen("sync-lease-tests") == 1
    SyncRecord.objects.filter(pk=first.pk).update(status="ok")  # a worker ran it
    queue.delete("sync-lease-tests")

    private_redis.stop()
    with pytest.raises(SyncQueueUnavailable):
        source_sync_request(source=source)
    assert not SyncRecord.objects.filter(source=source, status__in=["queued", "running"]).exists()

    private_redis.start()  # Redis is back (empty)
    again = source_sync_request(source=source)
    assert again.status == "queued" and queue.llen("sync-lease-tests") == 1
    assert list(SyncRecord.objects.filter(source=source).values_list("status", flat=True).order_by("pk")) == [
        "ok",
        "error",
        "queued",
    ]

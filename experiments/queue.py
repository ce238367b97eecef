"""Enqueueing experiments' Celery tasks: the one place that hands work to the broker.

Services call these inside their transaction; the task is sent once it commits. A task
is looked up by its name, never imported: `experiments.tasks` calls the services, so an
import back would be a cycle. ExperimentsConfig.ready() imports the tasks module, which
registers the names in every process (web, worker, beat)."""

from django.db import transaction
from django.utils import timezone

from aihub.celery import app
from aihub.queueing import QueueUnavailable, enqueue

from .models import SyncRecord

SOURCE_SYNC_TASK = "experiments.tasks.source_sync"
SYNC_QUEUE_DOWN_MESSAGE = (
    "The sync could not be queued: the task queue (Redis) is not reachable. Nothing was queued; try again in a moment."
)


class SyncQueueUnavailable(QueueUnavailable):
    """The task queue could not take the sync; its record ended as `error`, nothing is queued."""

    def __init__(self, message: str = SYNC_QUEUE_DOWN_MESSAGE):
        super().__init__(message)


def enqueue_source_sync(record_id: int) -> None:
    """Run the sync this record asks for on a worker, once the current transaction commits.
    If the broker cannot take it, the record ends as `error` at once (nothing stays queued
    that no worker will ever run) and SyncQueueUnavailable is raised for the caller to say so."""
    transaction.on_commit(lambda: _send_source_sync(record_id))


def _send_source_sync(record_id: int) -> None:
    try:
        enqueue(app.tasks[SOURCE_SYNC_TASK], record_id)
    except QueueUnavailable as error:
        SyncRecord.objects.filter(pk=record_id, status=SyncRecord.Status.QUEUED).update(
            status=SyncRecord.Status.ERROR,
            error=SYNC_QUEUE_DOWN_MESSAGE,
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        raise SyncQueueUnavailable() from error

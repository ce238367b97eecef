"""Celery tasks: they take ids and call the sync runner and the services. The only module
that calls both (the runner does not know the services: the sentinel is handed to it).
Enqueued through experiments/queue.py, by name."""

import logging
import random
import time
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import SyncRecord
from .services import after_sync_import, sources_dispatch_due
from .sync.client import MlflowError, MlflowUnreachable
from .sync.runner import SourceBusy, sync_run
from .sync.watermark import LeaseLost, lease_seconds

logger = logging.getLogger(__name__)

MAX_RETRIES = 3  # with 2, 4, 8 s of backoff: an unreachable server is an error well within 2 minutes
BUSY_WAIT_SECONDS = 5
BUSY_MAX_WAITS = 60


def _finish(record_id: int, status: str, error: str = "") -> None:
    SyncRecord.objects.filter(pk=record_id, status__in=[SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING]).update(
        status=status, error=error[:2000], finished_at=timezone.now(), lease_expires_at=None
    )


def _hold_while_waiting(record_id: int, seconds: float, **fields) -> None:
    """A running record waiting for its retry holds no source lease: keep it alive (not
    taken over) for the wait plus one lease."""
    SyncRecord.objects.filter(pk=record_id, status=SyncRecord.Status.RUNNING).update(
        lease_expires_at=timezone.now() + timedelta(seconds=seconds + lease_seconds()), **fields
    )


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def source_sync(self, record_id: int, waits: int = 0) -> str:
    """Run one requested sync (a SyncRecord). Unreachable server: bounded retries with
    exponential backoff and jitter, then the record ends as `error`. Another sync of the
    same source running: a fast loop is dropped, a full reconcile waits for it."""
    eager = self.request.is_eager
    attempt = self.request.retries
    while True:
        try:
            return sync_run(record_id=record_id, after_import=after_sync_import).status
        except SourceBusy:
            record = SyncRecord.objects.get(pk=record_id)
            if record.kind == SyncRecord.Kind.FAST or eager or waits >= BUSY_MAX_WAITS:
                _finish(record_id, SyncRecord.Status.SKIPPED, "Another sync of this source was running.")
                return SyncRecord.Status.SKIPPED
            _hold_while_waiting(record_id, BUSY_WAIT_SECONDS)
            source_sync.apply_async((record_id, waits + 1), countdown=BUSY_WAIT_SECONDS)
            return "waiting"
        except LeaseLost as error:  # this sync was taken over (its record already says so)
            _finish(record_id, SyncRecord.Status.ERROR, f"Stopped: {error}.")
            return SyncRecord.Status.ERROR
        except MlflowUnreachable as error:
            if attempt >= self.max_retries:
                _finish(record_id, SyncRecord.Status.ERROR, f"{error} (gave up after {attempt + 1} attempts)")
                return SyncRecord.Status.ERROR
            countdown = 2 ** (attempt + 1) + random.uniform(0, 1)
            _hold_while_waiting(
                record_id,
                countdown,
                error=(f"{error} (attempt {attempt + 1} of {self.max_retries + 1}; retrying in {countdown:.0f} s)"),
            )
            if not eager:
                raise self.retry(exc=error, countdown=countdown) from error
            # In-process (no worker: a person's request is waiting) retry at once, briefly spaced.
            attempt += 1
            time.sleep(min(countdown, 0.5))
        except MlflowError as error:
            _finish(record_id, SyncRecord.Status.ERROR, str(error))
            return SyncRecord.Status.ERROR
        except Exception as error:  # a bug or a database failure: recorded, then raised to Celery
            _finish(record_id, SyncRecord.Status.ERROR, f"Internal error: {type(error).__name__}: {error}")
            raise


@shared_task
def dispatch_due_syncs() -> int:
    """Beat calls this every 30 s: enqueue the fast loops and full reconciles that are due."""
    return sources_dispatch_due()

"""Bookkeeping of a source's sync: the lease that lets one sync per source run at a time,
and the watermark the fast loop starts from.

The lease is a conditional UPDATE on the source row (committed at once, so it holds
across the many short transactions of a sync and across workers): it is taken only if
free or expired, renewed on every page and by a heartbeat every few seconds, and
released at the end. The running SyncRecord carries the same expiry. A worker that dies
leaves a lease that expires after `settings.AIHUB_SYNC_LEASE_SECONDS` (30 s by default);
the sync is then taken over (see services.sources.syncs_take_over_expired)."""

import logging
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ..models import MlflowSource, SyncRecord

logger = logging.getLogger(__name__)
# The fast loop re-reads runs that started or ended up to this long before the previous
# cycle started: clocks of MLflow clients and of AI Hub differ a little.
OVERLAP_MS = 120_000


def now_ms() -> int:
    return int(time.time() * 1000)


class LeaseLost(Exception):
    """The lease expired and another sync took the source over: this one must stop."""


def lease_seconds() -> int:
    return max(int(settings.AIHUB_SYNC_LEASE_SECONDS), 2)


def lease_deadline():
    return timezone.now() + timedelta(seconds=lease_seconds())


def lease_acquire(source_id: int) -> str | None:
    token = uuid.uuid4().hex
    now = timezone.now()
    taken = (
        MlflowSource.objects.filter(pk=source_id)
        .filter(Q(lock_token="") | Q(lock_expires_at__lt=now))
        .update(lock_token=token, lock_expires_at=lease_deadline())
    )
    return token if taken else None


def lease_renew(source_id: int, token: str, record_id: int | None = None) -> None:
    """Extend the source's lease (and the running record's). Raises LeaseLost if the lease
    is no longer ours: it expired and another sync took the source over."""
    deadline = lease_deadline()
    if not MlflowSource.objects.filter(pk=source_id, lock_token=token).update(lock_expires_at=deadline):
        raise LeaseLost(f"the lease on source {source_id} expired and another sync took it over")
    if record_id is not None:
        SyncRecord.objects.filter(pk=record_id, status=SyncRecord.Status.RUNNING).update(lease_expires_at=deadline)


def lease_release(source_id: int, token: str) -> None:
    MlflowSource.objects.filter(pk=source_id, lock_token=token).update(lock_token="", lock_expires_at=None)


class Heartbeat:
    """Renews a running sync's lease every few seconds on a thread of its own, so a long
    page (many histories) never lets it lapse while the worker lives; `check()` (called
    on every page) raises LeaseLost once a renewal found the lease taken over.

    Not started inside an open transaction (an eager task under a test's transaction):
    its own connection would wait on the rows that transaction holds."""

    def __init__(self, source_id: int, token: str, record_id: int):
        self.source_id, self.token, self.record_id = source_id, token, record_id
        self.lost: LeaseLost | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return max(lease_seconds() / 6, 0.5)

    def __enter__(self) -> "Heartbeat":
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._beat, daemon=True, name="sync-heartbeat")
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    lease_renew(self.source_id, self.token, self.record_id)
                except LeaseLost as error:
                    self.lost = error
                    return
                except Exception:  # a database hiccup: the next beat (or page) tries again
                    logger.warning("sync heartbeat of source %s failed", self.source_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    def check(self) -> None:
        if self.lost is not None:
            raise self.lost
        lease_renew(self.source_id, self.token, self.record_id)


def fast_window_start(source: MlflowSource) -> int | None:
    """Runs with start or end time at or after this (ms) are re-read by the fast loop."""
    if source.fast_watermark_ms is None:
        return None
    return source.fast_watermark_ms - OVERLAP_MS


def watermark_advance(source_id: int, *, cycle_started_ms: int, full: bool) -> None:
    """After a complete cycle only: the next fast loop starts from this cycle's start."""
    now = timezone.now()
    fields = {"fast_watermark_ms": cycle_started_ms, "last_fast_at": now}
    if full:
        fields["last_full_at"] = now
    MlflowSource.objects.filter(pk=source_id).update(**fields)

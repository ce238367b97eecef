"""Bookkeeping of a source's sync: the lease that lets one sync per source run at a time,
and the watermark the fast loop starts from.

The lease is a conditional UPDATE on the source row (committed at once, so it holds
across the many short transactions of a sync and across workers): it is taken only if
free or expired, renewed on every page, and released at the end. A worker that dies
leaves a lease that expires after LEASE_SECONDS."""
import time
import uuid
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..models import MlflowSource

LEASE_SECONDS = 600
# The fast loop re-reads runs that started or ended up to this long before the previous
# cycle started: clocks of MLflow clients and of AI Hub differ a little.
OVERLAP_MS = 120_000


def now_ms() -> int:
    return int(time.time() * 1000)


def lease_acquire(source_id: int) -> str | None:
    token = uuid.uuid4().hex
    now = timezone.now()
    taken = MlflowSource.objects.filter(pk=source_id).filter(
        Q(lock_token="") | Q(lock_expires_at__lt=now)
    ).update(lock_token=token, lock_expires_at=now + timedelta(seconds=LEASE_SECONDS))
    return token if taken else None


def lease_renew(source_id: int, token: str) -> None:
    MlflowSource.objects.filter(pk=source_id, lock_token=token).update(
        lock_expires_at=timezone.now() + timedelta(seconds=LEASE_SECONDS))


def lease_release(source_id: int, token: str) -> None:
    MlflowSource.objects.filter(pk=source_id, lock_token=token).update(lock_token="", lock_expires_at=None)


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

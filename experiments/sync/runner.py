"""One requested sync, end to end: take the source's lease, run the fast loop or the full
reconcile, record the outcome, release the lease. Called by the Celery task, which hands
it the regression sentinel to run once the runs are written (sync never imports services)."""

import logging
from collections.abc import Callable

from django.db.models import F
from django.utils import timezone

from ..models import MlflowSource, SyncRecord
from ..secrets import decrypt
from .client import Credentials, client_for_uri, source_credentials
from .cycles import fast_cycle, full_reconcile
from .watermark import Heartbeat, lease_acquire, lease_deadline, lease_release, now_ms, watermark_advance

logger = logging.getLogger(__name__)


class SourceBusy(Exception):
    """Another sync of this source holds the lease."""


def credentials_for(source: MlflowSource) -> Credentials:
    """The source's credentials; MlflowRefused if it takes the workers' environment ones
    for a host an operator did not allow (AIHUB_MLFLOW_CREDENTIAL_HOSTS)."""
    return source_credentials(
        tracking_uri=source.tracking_uri,
        from_env=source.credentials_from_env,
        username=source.username,
        secret=_secret(source),
    )


def _secret(source: MlflowSource) -> str:
    return "" if source.credentials_from_env else decrypt(source.secret_encrypted)


def client_for(source: MlflowSource, **options):
    return client_for_uri(
        source.tracking_uri,
        from_env=source.credentials_from_env,
        username=source.username,
        secret=_secret(source),
        **options,
    )


def sync_run(*, record_id: int, after_import: Callable[..., object] | None = None) -> SyncRecord:
    """Run the sync a record asks for. A finished record is left alone (a re-delivered
    task does nothing). Raises SourceBusy if another sync holds the source, and the
    client's MlflowError (after writing it into the record) if the server fails.
    `after_import(source=, changed_since=)` runs once the runs are written, before the
    record is marked ok (the task passes the regression sentinel, sentinel_check)."""
    record = SyncRecord.objects.select_related("source__project").get(pk=record_id)
    if record.status not in (SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING):
        return record
    source = record.source
    lease = lease_acquire(source.pk)
    if lease is None:
        raise SourceBusy(f"another sync of source {source.pk} is running")
    try:
        source.refresh_from_db()
        kind = record.kind if source.fast_watermark_ms is not None else SyncRecord.Kind.FULL
        started = timezone.now()
        # Only a record still queued or running is started: one the take-over marked as
        # lost (its task delivered again later) stays as it is.
        if not SyncRecord.objects.filter(
            pk=record.pk, status__in=[SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING]
        ).update(
            status=SyncRecord.Status.RUNNING,
            kind=kind,
            started_at=record.started_at or started,
            attempts=F("attempts") + 1,
            error="",
            lease_expires_at=lease_deadline(),
        ):
            record.refresh_from_db()
            return record
        record.kind = kind
        cycle_started_ms = now_ms()
        client = client_for(source)
        cycle = full_reconcile if kind == SyncRecord.Kind.FULL else fast_cycle
        with Heartbeat(source.pk, lease, record.pk) as heartbeat:
            outcome = cycle(source=source, client=client, record=record, lease=heartbeat)
            heartbeat.check()  # still ours: nobody took over while the last page was written
            watermark_advance(source.pk, cycle_started_ms=cycle_started_ms, full=kind == SyncRecord.Kind.FULL)
        if after_import is not None:
            after_import(source=source, changed_since=started)
        SyncRecord.objects.filter(pk=record.pk, status=SyncRecord.Status.RUNNING).update(
            status=SyncRecord.Status.OK,
            finished_at=timezone.now(),
            warnings=outcome.warnings,
            error="",
            lease_expires_at=None,
        )
    except Exception as error:  # a record the take-over ended keeps the reason it gave
        SyncRecord.objects.filter(
            pk=record.pk, status__in=[SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING]
        ).update(error=f"{type(error).__name__}: {error}"[:2000])
        raise
    finally:
        lease_release(source.pk, lease)
    record.refresh_from_db()
    return record

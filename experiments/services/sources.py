"""Writes for MLflow sources: connect, change, test, request a sync, dispatch due syncs."""

import logging
import time
from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from aihub.outbound import OutboundRefused, check_url
from projects.models import Project

from ..models import MlflowSource, SyncRecord
from ..queue import enqueue_source_sync
from ..secrets import encrypt
from ..sync.client import MlflowError, client_for_uri, environment_credentials_refusal, is_local_uri
from ..sync.watermark import lease_seconds

logger = logging.getLogger(__name__)

# A queued request no worker picked up in this long is given up and replaced by the next one.
QUEUED_TIMEOUT = timedelta(minutes=30)


def _validate_uri(tracking_uri: str) -> str:
    """A tracking server's http(s) URL the outbound guard allows (aihub/outbound.py), or the
    app's own local store."""
    tracking_uri = (tracking_uri or "").strip()
    if is_local_uri(tracking_uri):
        if tracking_uri != settings.MLFLOW_TRACKING_URI:  # the server's path is not named back
            raise ValidationError(
                {
                    "tracking_uri": [
                        "A local (sqlite:) store can only be the app's own MLflow store; "
                        "give an http(s):// tracking server otherwise."
                    ]
                }
            )
        return tracking_uri
    parsed = urlparse(tracking_uri)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError({"tracking_uri": ["Give the tracking server's URL, e.g. http://mlflow:5000."]})
    if parsed.query or parsed.fragment or tracking_uri.endswith(("?", "#")):
        raise ValidationError({"tracking_uri": ["Give the tracking server's URL without ?query or #fragment."]})
    try:
        check_url(tracking_uri)
    except OutboundRefused as error:
        raise ValidationError({"tracking_uri": [str(error)]}) from error
    return tracking_uri.rstrip("/")


def _validate_source(*, tracking_uri: str, experiment_names, credentials_from_env: bool) -> tuple[str, list[str]]:
    """The checked tracking URI and experiment names; every field's errors at once."""
    errors, uri, names = {}, "", []
    try:
        uri = _validate_uri(tracking_uri)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        names = _validate_names(experiment_names)
    except ValidationError as error:
        errors.update(error.message_dict)
    if uri and credentials_from_env and not is_local_uri(uri):
        refusal = environment_credentials_refusal(uri)
        if refusal:
            errors["credentials_from_env"] = [refusal]
    if errors:
        raise ValidationError(errors)
    return uri, names


def _validate_names(experiment_names) -> list[str]:
    if isinstance(experiment_names, str):
        experiment_names = [name for name in experiment_names.replace("\n", ",").split(",")]
    names = [str(name).strip() for name in experiment_names or [] if str(name).strip()]
    if not names:
        raise ValidationError({"experiment_names": ["Name at least one MLflow experiment to follow."]})
    if len(names) > 50:
        raise ValidationError({"experiment_names": ["Follow at most 50 experiments per source."]})
    return list(dict.fromkeys(names))


@transaction.atomic
def source_create(
    *,
    project: Project,
    user,
    tracking_uri: str,
    experiment_names,
    name: str = "",
    username: str = "",
    secret: str = "",
    credentials_from_env: bool = False,
    fast_interval_seconds: int = 300,
    reconcile_interval_seconds: int = 3600,
) -> MlflowSource:
    tracking_uri, experiment_names = _validate_source(
        tracking_uri=tracking_uri, experiment_names=experiment_names, credentials_from_env=credentials_from_env
    )
    source = MlflowSource(
        project=project,
        created_by=user,
        name=name.strip(),
        tracking_uri=tracking_uri,
        experiment_names=experiment_names,
        username=username.strip(),
        secret_encrypted=encrypt(secret),
        credentials_from_env=credentials_from_env,
        fast_interval_seconds=fast_interval_seconds,
        reconcile_interval_seconds=reconcile_interval_seconds,
    )
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def source_update(*, source: MlflowSource, secret: str | None = None, **fields) -> MlflowSource:
    if {"tracking_uri", "experiment_names", "credentials_from_env"} & set(fields):
        fields["tracking_uri"], fields["experiment_names"] = _validate_source(
            tracking_uri=fields.get("tracking_uri", source.tracking_uri),
            experiment_names=fields.get("experiment_names", source.experiment_names),
            credentials_from_env=fields.get("credentials_from_env", source.credentials_from_env),
        )
    for field, value in fields.items():
        setattr(source, field, value)
    if secret:
        source.secret_encrypted = encrypt(secret)
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def source_delete(*, source: MlflowSource) -> None:
    source.delete()


def source_test_connection(
    *, tracking_uri: str, experiment_names, username: str = "", secret: str = "", credentials_from_env: bool = False
) -> tuple[bool, str]:
    """Answer at once (a few seconds at most) whether the server answers and which of the
    experiments exist. No retries: the person is waiting for the answer. The address goes
    through the outbound guard; environment credentials only to an allowed host; a failure
    names its class and HTTP status, never the server's answer. Callers throttle it first
    (source_test_throttle)."""
    try:
        tracking_uri, names = _validate_source(
            tracking_uri=tracking_uri, experiment_names=experiment_names, credentials_from_env=credentials_from_env
        )
    except ValidationError as error:
        return False, " ".join(error.messages)
    try:
        client = client_for_uri(
            tracking_uri,
            from_env=credentials_from_env,
            username=username,
            secret=secret,
            timeout=(3, 8),
            transport_retries=0,
        )
        client.ping()
        found = [name for name in names if client.experiment_by_name(name) is not None]
    except MlflowError as error:
        return False, str(error)
    missing = [name for name in names if name not in found]
    message = f"Connected to {tracking_uri}."
    if found:
        message += f" Found: {', '.join(found)}."
    if missing:
        message += f" Not found (yet): {', '.join(missing)}."
        return bool(found), message
    return True, message


class ConnectionTestThrottled(Exception):
    """Too many "Test connection" requests from this user: `wait` seconds until the next."""

    def __init__(self, wait: int):
        super().__init__(f"Too many connection tests: try again in {wait} s.")
        self.wait = wait


_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def _test_rate() -> tuple[int, int]:
    count, _, period = str(settings.AIHUB_TEST_CONNECTION_THROTTLE).partition("/")
    return int(count), _PERIODS.get(period.strip().lower(), 60)


def source_test_throttle(*, user) -> None:
    """Count one "Test connection" of this user (AIHUB_TEST_CONNECTION_THROTTLE, default
    10/min, in a fixed window in the cache: one atomic increment). Raises
    ConnectionTestThrottled past the limit. Without a cache (Redis down) it lets the test
    through: the outbound guard still applies."""
    limit, period = _test_rate()
    now = time.time()
    key = f"mlflow-test-connection:{user.pk}:{int(now // period)}"
    try:
        cache.add(key, 0, timeout=period + 5)
        used = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.set(key, 1, timeout=period + 5)
        used = 1
    except (RedisConnectionError, RedisTimeoutError, OSError) as error:
        logger.warning("connection-test throttle unavailable (%s); allowing the test", type(error).__name__)
        return
    if used > limit:
        raise ConnectionTestThrottled(max(1, int(period - now % period) + 1))


def _expired(now):
    """Queued or running records whose lease ran out (records without one: 30 minutes after
    they were created)."""
    return Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, created_at__lt=now - QUEUED_TIMEOUT)


def _active_records(source: MlflowSource):
    return source.syncs.filter(status__in=[SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING]).exclude(
        _expired(timezone.now())
    )


@transaction.atomic
def syncs_take_over_expired(*, source: MlflowSource | None = None) -> list[SyncRecord]:
    """End the queued or running syncs whose lease expired: a running one's worker stopped
    sending heartbeats (it died or was killed), a queued one was never picked up. Each
    becomes `error` with the reason, and its source's expired lock is released so the next
    sync can start at once. Returns the records that were running (their worker was lost)."""
    now = timezone.now()
    expired = SyncRecord.objects.filter(status__in=[SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING]).filter(
        _expired(now)
    )
    if source is not None:
        expired = expired.filter(source=source)
    lost = []
    for record in expired.select_related("source").order_by("pk"):
        if record.status == SyncRecord.Status.RUNNING:
            message = (
                f"Worker lost: no heartbeat for over {lease_seconds()} s (the worker stopped or was "
                "killed). A new sync takes over; runs already written are kept."
            )
        else:
            message = "No worker picked this sync up in time; a new request replaces it."
        # Conditional: a heartbeat that came in meanwhile keeps the record alive.
        if (
            SyncRecord.objects.filter(pk=record.pk, status=record.status)
            .filter(_expired(now))
            .update(status=SyncRecord.Status.ERROR, error=message, finished_at=now, lease_expires_at=None)
        ):
            logger.warning("sync %s of source %s taken over: %s", record.pk, record.source_id, message)
            MlflowSource.objects.filter(pk=record.source_id, lock_expires_at__lt=now).update(
                lock_token="", lock_expires_at=None
            )
            if record.status == SyncRecord.Status.RUNNING:
                lost.append(record)
    return lost


def source_sync_request(*, source: MlflowSource, kind: str = SyncRecord.Kind.FULL, user=None) -> SyncRecord | None:
    """Ask for a sync on a worker. A full reconcile asked for while one is queued or running
    (and alive: its lease has not expired) joins it (the same record comes back); a fast
    loop is not queued beside any active sync (None). A sync whose lease expired is taken
    over: marked `error` ("worker lost") and replaced by this request. The task is
    enqueued once the record is committed; if the broker cannot take it the record ends as
    `error` and SyncQueueUnavailable is raised."""
    with transaction.atomic():
        MlflowSource.objects.select_for_update().filter(pk=source.pk).first()
        syncs_take_over_expired(source=source)
        active = _active_records(source)
        if kind == SyncRecord.Kind.FULL:
            existing = active.filter(kind=SyncRecord.Kind.FULL).order_by("-created_at").first()
            if existing:
                return existing
        elif active.exists():
            return None
        record = SyncRecord.objects.create(
            source=source, kind=kind, requested_by=user, lease_expires_at=timezone.now() + QUEUED_TIMEOUT
        )
        enqueue_source_sync(record.pk)
    return record


def sources_dispatch_due(*, now=None) -> int:
    """Take over syncs whose worker was lost, then enqueue each enabled source's full
    reconcile or fast loop if it is due. Raises SyncQueueUnavailable if the broker is down."""
    now = now or timezone.now()
    queued = 0
    # Syncs whose worker was lost are taken over first, whether or not their source is due.
    for lost in syncs_take_over_expired():
        if lost.source.enabled and source_sync_request(source=lost.source, kind=lost.kind) is not None:
            queued += 1
    for source in MlflowSource.objects.filter(enabled=True).order_by("pk"):
        if source.last_full_at is None or source.last_full_at <= now - timedelta(
            seconds=source.reconcile_interval_seconds
        ):
            kind = SyncRecord.Kind.FULL
        elif source.last_fast_at is None or source.last_fast_at <= now - timedelta(
            seconds=source.fast_interval_seconds
        ):
            kind = SyncRecord.Kind.FAST
        else:
            continue
        last = source.syncs.order_by("-created_at").first()
        if (
            last
            and last.status == SyncRecord.Status.ERROR
            and last.created_at > now - timedelta(seconds=source.fast_interval_seconds)
        ):
            continue  # the server failed recently: wait a fast interval before trying again
        if source_sync_request(source=source, kind=kind) is not None:
            queued += 1
    return queued

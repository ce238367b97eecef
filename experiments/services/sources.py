"""Writes for MLflow sources: connect, change, test, request a sync, dispatch due syncs."""
import os
from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects.models import Project

from ..models import MlflowSource, SyncRecord
from ..secrets import encrypt
from ..sync.client import Credentials, LocalStoreClient, MlflowError, RestClient, is_local_uri

STALE_RECORD_AFTER = timedelta(minutes=30)


def _validate_uri(tracking_uri: str) -> str:
    tracking_uri = (tracking_uri or "").strip()
    if is_local_uri(tracking_uri):
        if tracking_uri != settings.MLFLOW_TRACKING_URI:
            raise ValidationError({"tracking_uri": [
                "A local (sqlite:) store can only be the app's own MLflow store "
                f"({settings.MLFLOW_TRACKING_URI}); give an http(s):// tracking server otherwise."]})
        return tracking_uri
    parsed = urlparse(tracking_uri)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValidationError({"tracking_uri": ["Give the tracking server's URL, e.g. http://mlflow:5000."]})
    return tracking_uri.rstrip("/")


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
def source_create(*, project: Project, user, tracking_uri: str, experiment_names, name: str = "",
                  username: str = "", secret: str = "", credentials_from_env: bool = False,
                  fast_interval_seconds: int = 300, reconcile_interval_seconds: int = 3600) -> MlflowSource:
    source = MlflowSource(
        project=project, created_by=user, name=name.strip(), tracking_uri=_validate_uri(tracking_uri),
        experiment_names=_validate_names(experiment_names), username=username.strip(),
        secret_encrypted=encrypt(secret), credentials_from_env=credentials_from_env,
        fast_interval_seconds=fast_interval_seconds, reconcile_interval_seconds=reconcile_interval_seconds,
    )
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def source_update(*, source: MlflowSource, secret: str | None = None, **fields) -> MlflowSource:
    if "tracking_uri" in fields:
        fields["tracking_uri"] = _validate_uri(fields["tracking_uri"])
    if "experiment_names" in fields:
        fields["experiment_names"] = _validate_names(fields["experiment_names"])
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


def source_test_connection(*, tracking_uri: str, experiment_names, username: str = "", secret: str = "",
                           credentials_from_env: bool = False) -> tuple[bool, str]:
    """Answer at once (a few seconds at most) whether the server answers and which of the
    experiments exist. No retries: the person is waiting for the answer."""
    try:
        tracking_uri = _validate_uri(tracking_uri)
        names = _validate_names(experiment_names)
    except ValidationError as error:
        return False, " ".join(error.messages)
    if is_local_uri(tracking_uri):
        client = LocalStoreClient(tracking_uri)
    else:
        if credentials_from_env:
            credentials = Credentials(os.environ.get("MLFLOW_TRACKING_USERNAME", ""),
                                      os.environ.get("MLFLOW_TRACKING_PASSWORD", ""),
                                      os.environ.get("MLFLOW_TRACKING_TOKEN", ""))
        else:
            credentials = Credentials(username=username, password=secret) if username else Credentials(token=secret)
        client = RestClient(tracking_uri, credentials, timeout=(3, 8), transport_retries=0)
    try:
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


def _active_records(source: MlflowSource):
    return source.syncs.filter(status__in=[SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING],
                               created_at__gte=timezone.now() - STALE_RECORD_AFTER)


def source_sync_request(*, source: MlflowSource, kind: str = SyncRecord.Kind.FULL, user=None) -> SyncRecord | None:
    """Ask for a sync on a worker. A full reconcile asked for while one is queued or running
    joins it (the same record comes back); a fast loop is not queued beside any active sync
    (None). The task is enqueued once the record is committed."""
    from ..tasks import source_sync

    with transaction.atomic():
        MlflowSource.objects.select_for_update().filter(pk=source.pk).first()
        active = _active_records(source)
        if kind == SyncRecord.Kind.FULL:
            existing = active.filter(kind=SyncRecord.Kind.FULL).order_by("-created_at").first()
            if existing:
                return existing
        elif active.exists():
            return None
        record = SyncRecord.objects.create(source=source, kind=kind, requested_by=user)
        transaction.on_commit(lambda: source_sync.delay(record.pk))
    return record


def sources_dispatch_due(*, now=None) -> int:
    """Enqueue each enabled source's full reconcile or fast loop if it is due."""
    now = now or timezone.now()
    queued = 0
    for source in MlflowSource.objects.filter(enabled=True).order_by("pk"):
        if source.last_full_at is None or source.last_full_at <= now - timedelta(
                seconds=source.reconcile_interval_seconds):
            kind = SyncRecord.Kind.FULL
        elif source.last_fast_at is None or source.last_fast_at <= now - timedelta(
                seconds=source.fast_interval_seconds):
            kind = SyncRecord.Kind.FAST
        else:
            continue
        last = source.syncs.order_by("-created_at").first()
        if last and last.status == SyncRecord.Status.ERROR and last.created_at > now - timedelta(
                seconds=source.fast_interval_seconds):
            continue  # the server failed recently: wait a fast interval before trying again
        if source_sync_request(source=source, kind=kind) is not None:
            queued += 1
    return queued

import os
import time
import uuid

import pytest

from tests.experiments.mlflow_server import MlflowServer
from tests.services import IN_CI, missing

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")


LOOPBACK = "127.0.0.1"


@pytest.fixture(autouse=True)
def allow_loopback_servers(settings, monkeypatch):
    """The tests' MLflow servers, proxies and receivers listen on 127.0.0.1, which outbound
    requests may not reach by default (aihub/outbound.py): allow it explicitly, in the
    settings and in the environment a real worker started by a test inherits. Tests of the
    guard itself set their own allowances."""
    settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [LOOPBACK]
    monkeypatch.setenv("AIHUB_OUTBOUND_ALLOWED_HOSTS", LOOPBACK)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"))
    try:
        server.start(timeout=400)  # 13-27 s on an idle machine, minutes on a loaded one
    except (RuntimeError, OSError) as error:
        missing("an MLflow tracking server (`mlflow server`)", f"it could not start: {error}")
    yield server
    server.stop()


@pytest.fixture
def mlflow_client(mlflow_server):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)


@pytest.fixture
def experiment_name():
    return f"exp-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def run_sync(request):
    """run_sync(source, kind) -> the finished SyncRecord. Under CI, or where PostgreSQL and
    Redis are configured, the sync runs on a real Celery worker; otherwise in-process."""
    from django.conf import settings
    from django.db import connection

    from experiments.models import SyncRecord
    from experiments.services import source_sync_request

    use_worker = IN_CI or (connection.vendor == "postgresql" and settings.REDIS_URL)
    if use_worker:
        request.getfixturevalue("celery_worker_process")

    def sync(source, kind=SyncRecord.Kind.FULL, timeout=150):
        record = source_sync_request(source=source, kind=kind)
        if record is None:
            raise AssertionError("no sync was queued")
        # In-process, the eager task already ran when the request committed.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record.refresh_from_db()
            if record.status not in (SyncRecord.Status.QUEUED, SyncRecord.Status.RUNNING):
                return record
            time.sleep(0.2)
        raise AssertionError(f"sync {record.pk} still {record.status} after {timeout} s")

    sync.on_worker = use_worker
    return sync

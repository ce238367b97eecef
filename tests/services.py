"""Finding the real services tests need, and refusing to skip them under CI=true.

Outside CI a test whose service is missing skips with a reason naming that service; under
CI=true the same test fails, so a green CI always means every service test ran."""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def missing(service: str, why: str):
    message = f"needs {service}: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests may not skip)", pytrace=False)
    pytest.skip(message)


def require_postgres():
    if connection.vendor != "postgresql":
        missing("PostgreSQL", "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub")


def require_redis():
    if not settings.REDIS_URL:
        missing("Redis", "set REDIS_URL=redis://127.0.0.1:6379/0")
    if not _port_open(settings.REDIS_URL, 6379):
        missing("Redis", f"nothing answers at {settings.REDIS_URL}")


def require_chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing("Chromium", "apt-get install -y chromium")

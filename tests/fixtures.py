import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory
from tests.services import CHROMIUM, require_chromium, require_postgres, require_redis

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (throttle counters, cached fragments)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates it with a real bearer token."""
    from accounts.services import api_token_create

    client = APIClient()

    def as_user(user):
        _, raw = api_token_create(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def member_of():
    """member_of(project, role) -> a user with that role in the project."""

    def make(project, role="member"):
        return MembershipFactory(project=project, role=role).user

    return make


# --- Real services ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_chromium()
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real `celery worker` subprocess on Redis, pointed at the test database.

    Yields a dict with the environment it runs in, so tests can read what it wrote."""
    require_postgres()
    require_redis()
    from django.db import connection

    from aihub.celery import app

    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "AIHUB_DATA_DIR": str(settings.DATA_DIR),
    }
    queue = f"tests-{os.getpid()}"
    with open(tmp_path / "worker.log", "w") as log:  # the worker writes to its own copy of the file
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "aihub",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    previous_eager = app.conf.task_always_eager
    previous_queue = app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited: {(tmp_path / 'worker.log').read_text()[-2000:]}")
            if app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
                break
        else:
            raise RuntimeError("celery worker did not answer ping within 60 s")
        yield {"env": env, "queue": queue, "log": tmp_path / "worker.log", "mail_dir": tmp_path / "mail"}
    finally:
        app.conf.task_always_eager = previous_eager
        app.conf.task_default_queue = previous_queue
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def private_redis():
    """A redis-server of this test's own on a free port (tests/ops/redis_server.py), which
    the test may stop and start; never the shared one."""
    from tests.ops.redis_server import started_private_redis

    yield from started_private_redis()


def _database_url_for(db: dict) -> str:
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"

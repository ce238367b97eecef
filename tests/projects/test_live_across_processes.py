"""A write in another process (a Celery worker, a management command, another web worker)
reaches every page that polls: the revision lives in the shared Redis cache."""

import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from projects import services
from projects.models import Role
from tests.fixtures import ROOT, _database_url_for
from tests.projects.factories import MembershipFactory, ProjectFactory
from tests.services import require_postgres, require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MOVE_IN_ANOTHER_PROCESS = """
import django
django.setup()
from projects import services
from projects.models import Ticket
ticket = Ticket.objects.get(key="{key}")
services.ticket_move(ticket=ticket, user=None, status="in_progress")
"""


def test_a_move_made_in_another_process_changes_the_polled_revision(client, settings):
    require_postgres()
    require_redis()
    prefix = f"live-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    project = ProjectFactory()
    member = MembershipFactory(project=project, role=Role.VIEWER).user
    ticket = services.ticket_create(project=project, reporter=member, title="Moved by a worker")
    client.force_login(member)
    url = reverse("projects:live", args=[project.key])
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "DJANGO_SETTINGS_MODULE": "aihub.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", MOVE_IN_ANOTHER_PROCESS.format(key=ticket.key)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag

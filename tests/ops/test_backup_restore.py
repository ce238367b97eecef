"""deploy/backup.sh and deploy/restore.sh, as the README tells operators to use them: a
project with a ticket and a doc attachment, backed up, restored into a fresh database and
data folder, and read back by Django in another process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.utils.functional import empty

from docs_hub.models import attachment_storage
from docs_hub.services.attachments import attachment_add
from projects import services as project_services
from tests.accounts.factories import UserFactory
from tests.docs_hub.factories import make_doc
from tests.services import require_postgres

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

READ_BACK = """
import json
import django
django.setup()
from docs_hub.models import DocAttachment
from projects.models import Ticket
ticket = Ticket.objects.select_related("project").get(project__key="BAK", number=1)
attachment = DocAttachment.objects.get(doc__project__key="BAK")
with attachment.file.open("rb") as handle:
    content = handle.read().decode()
print(json.dumps({"title": ticket.title, "description": ticket.description, "project": ticket.project.name,
                  "attachment": content, "path": attachment.file.path}))
"""


def database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def run(args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "AIHUB_DATA_DIR", "DOCS_ATTACHMENT_ROOT"}
    }
    return subprocess.run(args, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=300)


@pytest.fixture
def attachments(tmp_path):
    root = tmp_path / "live-data" / "attachments"
    with override_settings(DOCS_ATTACHMENT_ROOT=root):
        attachment_storage._wrapped = empty  # the storage re-reads the setting
        yield root
    attachment_storage._wrapped = empty


@pytest.fixture
def fresh_database():
    name = f"aihub_restore_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_backup_then_restore_into_a_fresh_database_reads_the_ticket_and_attachment_back(
    tmp_path, attachments, fresh_database
):
    require_postgres()
    user = UserFactory()
    project = project_services.project_create(creator=user, key="BAK", name="Backed up")
    project_services.ticket_create(
        project=project, reporter=user, title="Survive a restore", description="Every **word** of it."
    )
    doc = make_doc(project, title="Runbook")
    attachment_add(
        doc=doc,
        uploaded_file=SimpleUploadedFile("notes.txt", b"kept across the restore\n", content_type="text/plain"),
        user=user,
    )
    assert (attachments / f"{project.pk}/{doc.pk}/notes.txt").exists()
    backup = tmp_path / "backup"

    live_url = database_url(settings.DATABASES["default"]["NAME"])
    made = run(["sh", "deploy/backup.sh", str(backup)], DATABASE_URL=live_url, DOCS_ATTACHMENT_ROOT=str(attachments))
    assert made.returncode == 0, made.stderr
    assert (backup / "aihub.dump").stat().st_size > 0 and (backup / "attachments.tar.gz").exists()

    restored_data = tmp_path / "restored-data"
    restored_url = database_url(fresh_database)
    restored = run(
        ["sh", "deploy/restore.sh", str(backup)], DATABASE_URL=restored_url, AIHUB_DATA_DIR=str(restored_data)
    )
    assert restored.returncode == 0, restored.stderr

    read = run(
        [sys.executable, "-c", READ_BACK],
        DATABASE_URL=restored_url,
        AIHUB_DATA_DIR=str(restored_data),
        DJANGO_SETTINGS_MODULE="aihub.settings",
    )
    assert read.returncode == 0, read.stderr
    found = json.loads(read.stdout.strip().splitlines()[-1])
    assert found["title"] == "Survive a restore" and found["description"] == "Every **word** of it."
    assert found["project"] == "Backed up"
    assert found["attachment"] == "kept across the restore\n"
    assert Path(found["path"]).is_relative_to(restored_data)

    again = run(["sh", "deploy/restore.sh", str(backup)], DATABASE_URL=restored_url, AIHUB_DATA_DIR=str(restored_data))
    assert again.returncode != 0 and "already holds AI Hub tables" in again.stderr

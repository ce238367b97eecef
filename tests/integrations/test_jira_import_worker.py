"""The Jira import on a real Celery worker (Redis, PostgreSQL): the API queues the job, the
worker imports ~3,000 rows in batches, and the job's progress is readable while the
import's transaction is still open (processed grows before the tickets appear)."""

import csv
import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Role, Ticket
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURE = Path(__file__).parent / "fixtures" / "jira_export.csv"


def bigger_export(copies: int) -> bytes:
    """The fixture's 49 rows `copies` times, with keys, ids and links shifted per copy."""
    rows = list(csv.reader(io.StringIO(FIXTURE.read_text(encoding="utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    key, issue_id = header.index("Issue key"), header.index("Issue id")
    epic, parent = header.index("Custom field (Epic Link)"), header.index("Parent")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for copy in range(copies):
        shift = 100 * copy
        for row in body:
            row = list(row)
            row[key] = f"ML-{int(row[key].split('-')[1]) + shift}"
            row[issue_id] = str(int(row[issue_id]) + shift)
            if row[epic]:
                row[epic] = f"ML-{int(row[epic].split('-')[1]) + shift}"
            if row[parent]:
                row[parent] = str(int(row[parent]) + shift)
            writer.writerow(row)
    return out.getvalue().encode()


def test_a_worker_imports_in_batches_with_progress(celery_worker_process, api):
    project = ProjectFactory(key="ML")
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    client = api.as_user(admin)
    data = bigger_export(62)  # 3,038 rows: 4 batches
    answer = client.post(
        "/api/v1/projects/ML/imports/jira/",
        {"file": SimpleUploadedFile("big.csv", data, content_type="text/csv")},
        format="multipart",
    )
    assert answer.status_code == 202, answer.content
    job_url = f"/api/v1/imports/{answer.json()['id']}/"
    seen, deadline = [], time.monotonic() + 240
    while time.monotonic() < deadline:
        job = client.get(job_url).json()
        seen.append((job["status"], job["processed"], Ticket.objects.filter(project=project).count()))
        if job["status"] in ("done", "error"):
            break
        time.sleep(0.1)
    assert job["status"] == "done", (job, celery_worker_process["log"].read_text()[-3000:])
    assert (job["total"], job["created"], job["updated"]) == (3038, 3038, 0)
    # Mid-way: some rows counted while no ticket is visible yet (one transaction).
    assert any(status == "running" and 0 < processed < 3038 and tickets == 0 for status, processed, tickets in seen), (
        seen
    )
    assert Ticket.objects.filter(project=project).count() == 3038
    assert Ticket.objects.filter(project=project, external_ref="ML-6152", parent__external_ref="ML-6102").exists()

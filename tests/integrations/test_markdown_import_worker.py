"""A Markdown zip import on a real Celery worker (Redis, PostgreSQL): the job is picked up by
its registered name, its `processed` count grows while the pages' transaction is still open,
and it ends done with every page written."""

import io
import time
import zipfile

import pytest

from docs_hub.models import Doc
from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory


def big_zip(folders: int, pages: int) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in range(folders):
            archive.writestr(f"Area {f}.md", f"# Area {f}\n\nStart with [the first page](Area%20{f}/Page%200.md).\n")
            for p in range(pages):
                text = "Notes. " * 150 + f"\n\nNext: [[Page {f}.{(p + 1) % pages}]] and [back](../Area%20{f}.md#top).\n"
                archive.writestr(f"Area {f}/Page {p}.md", f"# Page {f}.{p}\n\n{text}")
    buffer.seek(0)
    buffer.name = "areas.zip"
    return buffer


@pytest.mark.celery_worker
def test_a_real_worker_imports_and_reports_progress(celery_worker_process, api):
    project = ProjectFactory(key="BIG")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    client = api.as_user(member)
    answer = client.post("/api/v1/projects/BIG/imports/markdown/", {"file": big_zip(8, 20)}, format="multipart")
    assert answer.status_code == 202, answer.content
    url = f"/api/v1/imports/{answer.json()['id']}/"
    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = client.get(url).json()
        seen.append((job["status"], job["processed"]))
        if job["status"] in ("done", "error"):
            break
        time.sleep(0.05)
    log = celery_worker_process["log"].read_text()[-3000:]
    assert (job["status"], job["total"], job["created"], job["processed"]) == ("done", 168, 168, 168), (job, log)
    assert any(status == "running" and 0 < processed < 168 for status, processed in seen), seen
    assert Doc.objects.filter(project=project).count() == 168
    assert "run_markdown_import" in log

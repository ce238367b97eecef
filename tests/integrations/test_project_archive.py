"""The project archive (issue 14, item 5): the demo workspace's CV exported, imported under
another key and into an emptied database, exported again: the same archive, but for the key
and the export time."""

import difflib
import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from docs_hub import services as docs_services
from docs_hub.models import Doc, DocAttachment, DocRevision
from experiments.models import RunLink
from integrations.archive import project_export
from integrations.models import ImportJob
from projects.models import Project, Role, Ticket, TicketEvent
from projects.selectors import sprint_burndown
from projects.services import project_delete

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def demo_cv(settings, tmp_path, django_capture_on_commit_callbacks):
    """The demo workspace with its MLflow runs synced (as `make demo` leaves it), plus an
    attachment on a CV page."""
    from aihub.celery import app

    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings.MLFLOW_ARTIFACT_ROOT = str(tmp_path / "artifacts")
    settings.DOCS_ATTACHMENT_ROOT = tmp_path / "attachments"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):  # the demo's MLflow sync runs on commit
            call_command("seed_demo", stdout=io.StringIO())
    finally:
        app.conf.task_always_eager = eager
    project = Project.objects.get(key="CV")
    doc = Doc.objects.filter(project=project, deleted_at__isnull=True).order_by("id").first()
    docs_services.attachment_add(
        doc=doc,
        uploaded_file=SimpleUploadedFile(
            "line 3 camera.png", b"\x89PNG\r\n\x1a\n fake image", content_type="image/png"
        ),
        user=User.objects.get(username="demo"),
    )
    return project


def read(archive: bytes) -> tuple[dict, dict]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        data = json.loads(zf.read("project.json"))
        files = {name: zf.read(name) for name in zf.namelist() if name != "project.json"}
    return data, files


def normalised(archive: bytes, key: str) -> tuple[str, dict]:
    """The archive with only what must differ put back: the key (and the ticket keys it
    prefixes) and the export time."""
    data, files = read(archive)
    data.pop("exported_at")
    data["project"]["key"] = "CV"
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
    if key != "CV":
        text = re.sub(rf"(?<![A-Za-z0-9_-]){key}-([0-9]+)\b", r"CV-\1", text)
    return text, files


def assert_same(archive: bytes, key: str, original: bytes) -> None:
    (text, files), (expected, expected_files) = normalised(archive, key), normalised(original, "CV")
    diff = list(difflib.unified_diff(expected.splitlines(), text.splitlines(), lineterm="", n=2))
    assert not diff, "\n".join(diff[:80])
    assert files == expected_files


def import_via_api(api, user, archive: bytes, key: str):
    upload = SimpleUploadedFile("cv.aihub.zip", archive, content_type="application/zip")
    return api.as_user(user).post("/api/v1/projects/import/", {"file": upload, "key": key}, format="multipart")


def test_cv_round_trips_under_another_key_and_into_an_empty_database(demo_cv, api, django_capture_on_commit_callbacks):
    demo = User.objects.get(username="demo")
    first = api.as_user(demo).get("/api/v1/projects/CV/export/")
    assert first.status_code == 200 and first["Content-Type"] == "application/zip"
    assert 'filename="CV-' in first["Content-Disposition"]
    archive = first.content
    data, files = read(archive)
    # Everything the issue lists is there, and the demo fills each part.
    for part in ("members", "statuses", "labels", "custom_fields", "sprints", "tickets", "relations", "saved_views"):
        assert data[part], part
    for part in ("risks", "exit_criteria", "phase_transitions", "milestones", "docs"):
        assert data[part], part
    assert data["mlflow"]["run_links"] and data["mlflow"]["gates"] and data["mlflow"]["targets"]
    assert any(t["comments"] for t in data["tickets"]) and all(t["events"] for t in data["tickets"])
    assert {u["username"] for u in data["users"]} >= {"demo", "dana", "sam"}
    assert "secret" not in json.dumps(data["mlflow"]["sources"])
    assert len(files) == 1 and next(iter(files.values())).startswith(b"\x89PNG")
    # No database ids (a status report's figures are kept verbatim: what that report showed).
    text = json.dumps({**data, "status_reports": [{**r, "figures": {}} for r in data["status_reports"]]})
    found = re.search(r'"(id|pk|project_id|ticket_id)": ', text)
    assert not found, text[found.start() - 300 : found.end() + 100]

    # 1. The same instance, as CV2.
    with django_capture_on_commit_callbacks(execute=True):
        response = import_via_api(api, demo, archive, "CV2")
    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "done", job.errors
    state = api.as_user(demo).get(f"/api/v1/imports/{job.pk}/").json()
    assert state["status"] == "done" and state["project"] == "CV2" and state["processed"] == state["total"] > 100
    copy = Project.objects.get(key="CV2")
    assert Ticket.objects.get(project=copy, number=1).key == "CV2-1"
    assert copy.ticket_counter == Project.objects.get(key="CV").ticket_counter
    assert_same(project_export(copy), "CV2", archive)
    # What the team sees is the same: the burndown (rebuilt from history lines naming sprints).
    original_active = Project.objects.get(key="CV").sprints.get(state="active")
    copy_active = copy.sprints.get(state="active")
    assert sprint_burndown(sprint=copy_active) == sprint_burndown(sprint=original_active)
    assert RunLink.objects.filter(ticket__project=copy).count() == len(data["mlflow"]["run_links"])

    # 2. An empty database: nothing of the demo left, one admin named as in the archive.
    for project in Project.objects.all():
        project_delete(project=project)
    User.objects.all().delete()
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists() and not DocRevision.objects.exists()
    installer = User.objects.create_user(
        username="demo", email="DEMO@example.com", display_name="Demo PM", is_staff=True
    )  # the new instance's admin
    User.objects.filter(pk=installer.pk).update(email="demo@example.com")
    installer.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        response = import_via_api(api, installer, archive, "CV")
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "done", job.errors
    again = project_export(Project.objects.get(key="CV"))
    assert_same(again, "CV", archive)
    # Users the instance did not know exist, inactive and without a password; the importer is admin.
    dana = User.objects.get(username="dana")
    assert not dana.is_active and not dana.has_usable_password()
    assert "dana" in job.result["users_created"] and "demo" not in job.result["users_created"]
    assert Project.objects.get(key="CV").memberships.get(user=installer).role == Role.ADMIN
    attachment = DocAttachment.objects.get(doc__project__key="CV")
    with attachment.file.open("rb") as handle:
        assert handle.read() == next(iter(files.values()))

"""POST /api/v1/projects/{key}/imports/markdown/ with the committed Confluence-style export:
the dry run previews and writes nothing, the import is a job that builds the tree, a second
import duplicates nothing; unsafe or broken zips are 400s with the reason; roles."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils.functional import empty

from docs_hub import services as docs_services
from docs_hub.models import Doc, DocAttachment, attachment_storage
from integrations import markdown_import
from integrations.models import ImportJob
from projects.models import Role
from tests.docs_hub.factories import make_doc
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent.parent / "docs_hub" / "fixtures" / "confluence_export.zip"
URL = "/api/v1/projects/{}/imports/markdown/"


@pytest.fixture(autouse=True)
def storage(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with override_settings(DOCS_ATTACHMENT_ROOT=tmp_path / "attachments"):
        attachment_storage._wrapped = empty
        yield
    attachment_storage._wrapped = empty


@pytest.fixture
def project():
    return ProjectFactory(key="VIS")


@pytest.fixture
def member(project):
    return MembershipFactory(project=project, role=Role.MEMBER).user


def upload(data: bytes | None = None, name="confluence_export.zip"):
    file = io.BytesIO(data if data is not None else FIXTURE.read_bytes())
    file.name = name
    return file


def fixture_file():
    return SimpleUploadedFile("confluence_export.zip", FIXTURE.read_bytes(), content_type="application/zip")


def post(client, project, **data):
    data.setdefault("file", upload())
    return client.post(URL.format(project.key), data, format="multipart")


def test_dry_run_answers_the_preview_and_writes_nothing(api, project, member):
    answer = post(api.as_user(member), project, dry_run="true")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["pages"], body["create"], body["update"], body["attachments"]) == (11, 11, 0, 3)
    assert body["tree"][0]["title"] == "Vision team"
    assert "Vision team home" in [node["title"] for node in body["tree"][0]["children"]]
    assert len(body["missing_links"]) == 2
    assert Doc.objects.count() == 0 and ImportJob.objects.count() == 0 and DocAttachment.objects.count() == 0


def test_import_is_a_job_that_builds_the_tree_and_a_second_import_duplicates_nothing(
    api, project, member, django_capture_on_commit_callbacks
):
    client = api.as_user(member)
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, project)
    assert answer.status_code == 202, answer.content
    job = client.get(f"/api/v1/imports/{answer.json()['id']}/").json()
    counts = (job["status"], job["project"], job["total"], job["processed"], job["created"])
    assert counts == ("done", "VIS", 11, 11, 11)
    assert job["result"]["attachments"] == 3
    root = Doc.objects.get(pk=job["result"]["roots"][0]["id"])
    assert root.title == "Vision team" and root.children.count() == 5
    home = Doc.objects.get(title="Vision team home")
    assert "[[Getting started]]" in home.body and home.created_by == member

    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, project)
    job = client.get(f"/api/v1/imports/{again.json()['id']}/").json()
    assert (job["status"], job["created"], job["updated"], job["result"]["unchanged"]) == ("done", 0, 0, 11)
    assert Doc.objects.filter(project=project).count() == 11 and DocAttachment.objects.count() == 3

    preview = post(client, project, dry_run="true").json()
    assert (preview["create"], preview["update"]) == (0, 11)


def test_import_under_a_parent_by_id_or_slug(api, project, member, django_capture_on_commit_callbacks):
    handbook = make_doc(project, title="Handbook")
    client = api.as_user(member)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, project, parent=str(handbook.pk)).status_code == 202
    assert Doc.objects.get(title="Vision team").parent == handbook
    # By slug, under the same page: the same pages, updated in place.
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, project, parent="handbook")
    assert ImportJob.objects.get(pk=answer.json()["id"]).created == 0

    other = make_doc(ProjectFactory(), title="Elsewhere")
    for parent in (str(other.pk), "no-such-page", "²", "9" * 30, "x" * 500):
        answer = post(client, project, parent=parent, dry_run="true")
        assert answer.status_code == 400 and "parent" in answer.json()


def zip_bytes(files: dict[str, str | bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_unsafe_and_broken_zips_are_400_with_the_reason_and_nothing_is_written(api, project, member, settings, dry_run):
    settings.DOCS_IMPORT_MAX_TOTAL_BYTES = 1_000_000
    cases = {
        "Unsafe path": zip_bytes({"docs/../../../etc/cron.d/evil.md": "x"}),
        "not a zip archive": b"# a Markdown file, not a zip\n",
        "at most 1,000,000": zip_bytes({"bomb.md": "0" * 5_000_000}, zipfile.ZIP_DEFLATED),
        "no Markdown files": zip_bytes({"photo.png": b"\x89PNG\r\n\x1a\n"}),
    }
    client = api.as_user(member)
    for reason, data in cases.items():
        answer = post(client, project, file=upload(data), dry_run=dry_run)
        assert answer.status_code == 400, reason
        assert reason in answer.json()["file"][0]
    assert Doc.objects.count() == 0 and ImportJob.objects.count() == 0


def test_a_missing_file_is_a_field_error(api, project, member):
    answer = api.as_user(member).post(URL.format(project.key), {"dry_run": "true"}, format="multipart")
    assert answer.status_code == 400 and "file" in answer.json()


def test_roles_viewers_403_non_members_404_anonymous_401(api, project):
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    outsider = MembershipFactory(project=ProjectFactory(), role=Role.ADMIN).user
    assert post(api.as_user(viewer), project, dry_run="true").status_code == 403
    assert post(api.as_user(outsider), project, dry_run="true").status_code == 404
    api.credentials()
    assert post(api, project, dry_run="true").status_code == 401
    assert ImportJob.objects.count() == 0


def test_running_a_job_twice_imports_once(project, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = markdown_import.markdown_import_start(project=project, parent=None, upload=fixture_file(), user=member)
    markdown_import.markdown_import_run(job_id=job.pk)
    markdown_import.markdown_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 11)
    assert Doc.objects.filter(project=project).count() == 11


def test_a_parent_trashed_before_the_job_runs_ends_it_in_error_with_nothing_written(
    project, member, django_capture_on_commit_callbacks
):
    handbook = make_doc(project, title="Handbook")
    with django_capture_on_commit_callbacks(execute=False):
        job = markdown_import.markdown_import_start(
            project=project, parent=handbook, upload=fixture_file(), user=member
        )
    docs_services.doc_trash(doc=handbook, user=member)
    markdown_import.markdown_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "error" and "Nothing was imported." in job.errors
    assert Doc.objects.filter(project=project).count() == 1


def test_the_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/projects/{key}/imports/markdown/"]["post"]
    assert operation["operationId"] == "projects_imports_markdown_create"
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "202", "400", "403", "404"} <= set(operation["responses"])


def test_a_job_another_worker_runs_is_left_alone_one_left_running_by_a_dead_worker_is_taken_up(
    project, member, django_capture_on_commit_callbacks
):
    from django.db import DEFAULT_DB_ALIAS, connections

    with django_capture_on_commit_callbacks(execute=False):
        job = markdown_import.markdown_import_start(project=project, parent=None, upload=fixture_file(), user=member)
    other_worker = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other_worker.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [markdown_import.RUN_LOCK_NAMESPACE, job.pk])
        markdown_import.markdown_import_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == "queued" and Doc.objects.filter(project=project).count() == 0
    finally:
        other_worker.close()  # the worker dies: its lock goes with its session

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, processed=4)
    markdown_import.markdown_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.created, job.processed) == ("done", 11, 11)
    assert Doc.objects.filter(project=project).count() == 11


@pytest.fixture
def broker_down():
    """The Celery app pointed at a closed port, not eager; back afterwards."""
    import socket

    from aihub.celery import app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{port}/0", False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_with_the_task_queue_down_the_import_runs_in_the_web_process(api, broker_down):
    project = ProjectFactory(key="VIS")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    answer = post(api.as_user(member), project)
    assert answer.status_code == 202
    job = ImportJob.objects.get(pk=answer.json()["id"])
    assert (job.status, job.created) == ("done", 11)

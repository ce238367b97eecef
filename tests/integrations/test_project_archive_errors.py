"""Archives the import refuses, each with its reason and nothing written: not a zip, no
project.json, another version, bad JSON, member names outside the format (zip slip), too
large (packed or unpacked), a taken or invalid key (400 at upload), and broken references
found while writing (the job ends in error and the transaction leaves nothing, not even an
attachment file). Also who may export, a second run of a job, and the pages."""

import io
import json
import os
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from docs_hub import services as docs_services
from docs_hub.models import Doc, DocAttachment
from integrations.archive import import_run, project_export
from integrations.models import ImportJob
from projects import services
from projects.models import Project, Role, Ticket
from projects.ticket_links import ticket_url
from tests.accounts.factories import UserFactory
from tests.docs_hub.factories import make_doc
from tests.integrations.test_markdown_import_api import broker_down  # noqa: F401  (a fixture)
from tests.projects.factories import MembershipFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def small(settings, tmp_path):
    """A small project with a ticket tree, a comment, a doc with an attachment, and its archive."""
    settings.DOCS_ATTACHMENT_ROOT = tmp_path / "attachments"
    admin = UserFactory(username="ada", email="ada@example.com")
    project = services.project_create(creator=admin, key="SMALL", name="Small")
    parent = services.ticket_create(project=project, reporter=admin, title="Parent")
    child = services.ticket_create(
        project=project, reporter=admin, title="Child of SMALL-1", parent=parent.key, description="See SMALL-1."
    )
    services.comment_create(ticket=child, author=admin, body="Done soon, like SMALL-1")
    doc = make_doc(project, author=admin, title="Notes", body="Mentions SMALL-2.")
    docs_services.attachment_add(
        doc=doc, uploaded_file=SimpleUploadedFile("a.txt", b"hello", content_type="text/plain"), user=admin
    )
    return {"admin": admin, "project": project, "archive": project_export(project), "root": tmp_path / "attachments"}


def rebuild(archive: bytes, change=None, *, extra: dict | None = None, drop: tuple = ()) -> bytes:
    """The archive with project.json changed by `change(data)`, members added or dropped."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name in drop:
                continue
            content = source.read(name)
            if name == "project.json" and change is not None:
                data = json.loads(content)
                change(data)
                content = json.dumps(data).encode()
            target.writestr(name, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def upload(api, user, content: bytes, key="NEW"):
    file = SimpleUploadedFile("archive.zip", content, content_type="application/zip")
    return api.as_user(user).post("/api/v1/projects/import/", {"file": file, "key": key}, format="multipart")


def files_under(root) -> list[str]:
    return sorted(os.path.join(d, f) for d, _, names in os.walk(root) for f in names)


def test_export_is_for_admins_members_and_viewers_get_403_others_404(api, small):
    project = small["project"]
    assert api.as_user(small["admin"]).get("/api/v1/projects/SMALL/export/").status_code == 200
    for role in (Role.MEMBER, Role.VIEWER):
        user = MembershipFactory(project=project, role=role).user
        assert api.as_user(user).get("/api/v1/projects/SMALL/export/").status_code == 403
    assert api.as_user(UserFactory()).get("/api/v1/projects/SMALL/export/").status_code == 404
    api.credentials()
    assert api.get("/api/v1/projects/SMALL/export/").status_code in (401, 403)


def _not_zip(archive):
    return b"PK\x03\x04 this is not really a zip"


def _no_manifest(archive):
    return rebuild(archive, drop=("project.json",))


def _version(archive):
    return rebuild(archive, lambda d: d.update(version=99))


def _not_ours(archive):
    return rebuild(archive, lambda d: d.update(format="something-else"))


def _bad_json(archive):
    return rebuild(rebuild(archive, drop=("project.json",)), extra={"project.json": b"{not json"})


def _slip(archive):
    return rebuild(archive, extra={"../../etc/evil.txt": b"x"})


def _absolute(archive):
    return rebuild(archive, extra={"/tmp/evil.txt": b"x"})


def _slip_in_attachments(archive):
    return rebuild(archive, extra={"attachments/docs/1/../../../evil": b"x"})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_not_zip, "not a zip"),
        (_no_manifest, "no project.json"),
        (_version, "version 99 is not supported"),
        (_not_ours, "not an AI Hub project archive"),
        (_bad_json, "not valid JSON"),
        (_slip, "Unexpected file"),
        (_absolute, "Unexpected file"),
        (_slip_in_attachments, "Unexpected file"),
    ],
)
def test_a_broken_archive_is_a_400_on_file_with_the_reason_and_nothing_stored(api, small, make, reason):
    before = (Project.objects.count(), User.objects.count())
    response = upload(api, small["admin"], make(small["archive"]))
    assert response.status_code == 400, response.content
    assert reason in " ".join(response.json()["file"])
    assert not ImportJob.objects.exists()
    assert (Project.objects.count(), User.objects.count()) == before


def test_too_large_packed_or_unpacked_is_a_400(api, small, settings):
    settings.AIHUB_ARCHIVE_MAX_BYTES = 100
    response = upload(api, small["admin"], small["archive"])
    assert response.status_code == 400 and "the limit is 100" in response.json()["file"][0]
    settings.AIHUB_ARCHIVE_MAX_BYTES = 10**9
    settings.AIHUB_ARCHIVE_MAX_UNPACKED_BYTES = 1000
    bomb = rebuild(small["archive"], extra={"attachments/docs/1/9-zeros.bin": b"\0" * 100_000})
    assert len(bomb) < 100_000
    response = upload(api, small["admin"], bomb)
    assert response.status_code == 400 and "unpacks to" in response.json()["file"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("key", "reason"), [("SMALL", "taken"), ("small", "capital"), ("x", "capital"), ("", "")])
def test_a_taken_or_invalid_key_is_a_400_on_key(api, small, key, reason):
    response = upload(api, small["admin"], small["archive"], key=key)
    assert response.status_code == 400
    assert reason in " ".join(response.json()["key"])
    assert not ImportJob.objects.exists()


def _status(d):
    d["tickets"][0]["status"] = "nowhere"


def _parent(d):
    d["tickets"][1]["parent"] = 999


def _user(d):
    d["tickets"][0]["assignee"] = "ghost"


def _label(d):
    d["tickets"][0]["labels"] = ["no-such-label"]


def _attachment(d):
    d["docs"][0]["attachments"][0]["file"] = "attachments/docs/1/7-missing.txt"


def _attachment_path(d):
    d["docs"][0]["attachments"][0]["file"] = "../../../etc/passwd"


def _choice(d):
    d["tickets"][0]["priority"] = "whenever"


def _date(d):
    d["tickets"][0]["created_at"] = "yesterday-ish"


def _sprint_event(d):
    d["tickets"][0]["events"][0]["data"] = {"sprint_id": 42}


def _run_link(d):
    d["mlflow"]["run_links"] = [{"source": 1, "run_id": "abc", "ticket": 1, "origin": "manual", "active": True}]


def _relation_to_itself(d):
    d["relations"] = [{"source": 1, "target": 1, "kind": "blocks", "created_by": None, "created_at": None}]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_status, "unknown status 'nowhere'"),
        (_parent, "no parent ticket '999'"),
        (_user, "user 'ghost' is not in the archive's users"),
        (_label, "unknown label 'no-such-label'"),
        (_attachment, "no file 'attachments/docs/1/7-missing.txt'"),
        (_attachment_path, "is not an attachment path"),
        (_choice, "priority"),
        (_date, "created_at"),
        (_sprint_event, "no sprint '42'"),
        (_run_link, "no run 'abc'"),
        (_relation_to_itself, "breaks a rule of the database"),
    ],
)
def test_broken_references_end_the_job_in_error_and_write_nothing(
    api, small, change, reason, django_capture_on_commit_callbacks
):
    counts = (Project.objects.count(), Ticket.objects.count(), User.objects.count(), Doc.objects.count())
    files = files_under(small["root"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, small["admin"], rebuild(small["archive"], change))
    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "error" and job.project is None
    assert reason in " ".join(job.errors), job.errors
    state = api.get(f"/api/v1/imports/{job.pk}/").json()
    assert state["status"] == "error" and state["errors"] == job.errors
    assert (Project.objects.count(), Ticket.objects.count(), User.objects.count(), Doc.objects.count()) == counts
    assert files_under(small["root"]) == files, "no attachment file left behind"


def test_an_unknown_user_is_created_inactive_and_a_known_email_matches_whatever_the_username(
    api, small, django_capture_on_commit_callbacks
):
    def users(d):
        d["users"].append({"username": "newbie", "email": "newbie@example.com", "display_name": "New Bie"})
        d["users"][0]["username"] = "ada-elsewhere"  # ada's e-mail, another username
        d["project"]["created_by"] = "ada-elsewhere"
        for member in d["members"]:
            member["user"] = "ada-elsewhere"
        d["members"].append({"user": "newbie", "role": "member", "created_at": "2026-01-02T03:04:05+00:00"})
        for ticket in d["tickets"]:
            ticket["reporter"] = "ada-elsewhere"
            for item in ticket["comments"]:
                item["author"] = "newbie"
            for event in ticket["events"]:
                event["actor"] = None
        for doc in d["docs"]:
            doc["created_by"] = doc["updated_by"] = "newbie"
            for revision in doc["revisions"]:
                revision["author"] = "newbie"
            for attachment in doc["attachments"]:
                attachment["uploaded_by"] = None

    importer = UserFactory(is_staff=True)  # an instance admin: may bring in unknown people
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, importer, rebuild(small["archive"], users))
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "done", job.errors
    project = Project.objects.get(key="NEW")
    newbie = User.objects.get(username="newbie")
    assert not newbie.is_active and not newbie.has_usable_password() and newbie.display_name == "New Bie"
    assert job.result["users_created"] == ["newbie"]
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {"ada": "admin", "newbie": "member", importer.username: "admin"}
    child = Ticket.objects.get(project=project, number=2)
    assert child.key == "NEW-2" and child.parent.key == "NEW-1" and child.reporter.username == "ada"
    assert "NEW-1" in child.title and child.description == "See NEW-1."
    assert f'href="{ticket_url("NEW-1")}"' in child.description_html  # linked: rendered once NEW-1 existed
    assert f'href="{ticket_url("NEW-1")}"' in child.comments.get().body_html
    assert child.comments.get().author == newbie
    doc = Doc.objects.get(project=project)
    assert doc.body == "Mentions NEW-2." and list(doc.ticket_links.values_list("ticket_key", flat=True)) == ["NEW-2"]
    attachment = DocAttachment.objects.get(doc=doc)
    assert attachment.file.read() == b"hello"


def test_a_job_runs_once(api, small, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, small["admin"], small["archive"])
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "done"
    assert not job.file, "a finished job keeps no copy of the archive"
    import_run(job.pk)  # a redelivered task: the job is no longer queued
    assert Project.objects.filter(key="NEW").count() == 1 and Ticket.objects.filter(key="NEW-1").count() == 1


def test_import_page_uploads_then_follows_the_job_to_the_project(client, small, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    page = client.get("/projects/import/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    bad = client.post("/projects/import/", {"key": "SMALL", "file": SimpleUploadedFile("a.zip", b"nope")})
    assert bad.status_code == 200 and "is taken" in bad.content.decode() and "not a zip" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/projects/import/", {"key": "COPY", "file": SimpleUploadedFile("a.zip", small["archive"])}
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/projects/import/{job.pk}/"
    status = client.get(response["Location"], headers={"HX-Request": "true"})
    text = status.content.decode()
    assert status.status_code == 200 and "<h1>" not in text and 'href="/projects/COPY/"' in text
    assert "hx-trigger" not in text  # finished: no more polling
    client.force_login(UserFactory())
    assert client.get(f"/projects/import/{job.pk}/").status_code == 404


def test_an_attachment_whose_file_is_gone_is_left_out_of_the_export(small):
    attachment = DocAttachment.objects.get(doc__project=small["project"])
    attachment.file.storage.delete(attachment.file.name)
    data = json.loads(zipfile.ZipFile(io.BytesIO(project_export(small["project"]))).read("project.json"))
    assert data["docs"][0]["attachments"] == []


def test_export_link_on_the_settings_page_downloads_for_admins(client, small):
    client.force_login(small["admin"])
    settings_page = client.get("/projects/SMALL/settings/").content.decode()
    assert 'href="/projects/SMALL/settings/export/"' in settings_page
    response = client.get("/projects/SMALL/settings/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    member = MembershipFactory(project=small["project"], role=Role.MEMBER).user
    client.force_login(member)
    assert client.get("/projects/SMALL/settings/export/").status_code == 403


def _view_owner(d):
    d["saved_views"] = [{"owner": None, "name": "Mine", "filters": {}, "shared": False, "created_at": None}]


def test_a_saved_view_without_owner_is_a_job_error(api, small, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, small["admin"], rebuild(small["archive"], _view_owner))
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "error" and "needs an owner" in job.errors[0]


def _stranger(d):
    d["users"].append({"username": "stranger", "email": "stranger@example.com"})
    d["tickets"][0]["assignee"] = "stranger"


def test_only_staff_may_bring_in_people_without_an_account(api, small, django_capture_on_commit_callbacks):
    archive = rebuild(small["archive"], _stranger)
    users = User.objects.count()
    response = upload(api, UserFactory(), archive)
    assert response.status_code == 400
    assert "1 people in the archive have no account here (stranger)" in response.json()["file"][0]
    assert not ImportJob.objects.exists() and User.objects.count() == users + 1  # the uploader only
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, UserFactory(is_staff=True), archive)
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "done" and job.result["users_created"] == ["stranger"]
    assert Ticket.objects.get(key="NEW-1").assignee.username == "stranger"


def test_a_job_left_running_by_a_dead_worker_is_taken_over_when_its_task_comes_again(api, small, monkeypatch):
    from integrations.archive import jobs

    monkeypatch.setattr(jobs, "enqueue_or_run_here", lambda task, job_id: None)  # the worker that took it died
    response = upload(api, small["admin"], small["archive"])
    job = ImportJob.objects.get(pk=response.json()["id"])
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    import_run(job.pk)  # redelivered at once: the first worker may still be at it
    assert ImportJob.objects.get(pk=job.pk).status == "running" and not Project.objects.filter(key="NEW").exists()
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(seconds=jobs.STALE_AFTER + 1))
    import_run(job.pk)  # redelivered after the worker's lease: taken over
    assert ImportJob.objects.get(pk=job.pk).status == "done" and Project.objects.filter(key="NEW").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("broker_down")
def test_with_the_task_queue_down_the_archive_is_imported_in_the_web_process(api, small):
    response = upload(api, small["admin"], small["archive"])
    assert response.status_code == 202
    assert ImportJob.objects.get(pk=response.json()["id"]).status == "done"
    assert Ticket.objects.filter(key="NEW-1").exists()

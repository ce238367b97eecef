"""The docs pages' remaining actions over REST: attachments (list, upload, read, download,
delete), purging the trash and the project's own page templates."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from docs_hub import services
from docs_hub.models import Doc, DocAttachment, DocTemplate
from tests.docs_hub.factories import make_doc

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _attachments_in_tmp(settings, tmp_path):
    settings.DOCS_ATTACHMENT_ROOT = tmp_path / "attachments"


def files_url(project, slug="spec", rest=""):
    return f"/api/v1/projects/{project.key}/docs/{slug}/attachments/{rest}"


def upload(client, project, name="chart.png", content=PNG, content_type="image/png"):
    return client.post(
        files_url(project), {"file": SimpleUploadedFile(name, content, content_type=content_type)}, format="multipart"
    )


def test_upload_list_download_and_delete_an_attachment(api, project, member_of):
    client = api.as_user(member_of(project, "member"))
    make_doc(project, title="Spec")
    response = upload(client, project)
    assert response.status_code == 201, response.json()
    attachment = response.json()
    assert attachment["name"] == "chart.png" and attachment["content_type"] == "image/png"
    assert attachment["size"] == len(PNG) and attachment["uploaded_by"]
    listing = client.get(files_url(project)).json()
    assert [a["id"] for a in listing["results"]] == [attachment["id"]] and listing["next"] is None
    assert client.get(files_url(project, rest=f"{attachment['id']}/")).json()["name"] == "chart.png"
    content = client.get(attachment["url"])
    assert content.status_code == 200 and content["Content-Type"] == "image/png"
    assert b"".join(content.streaming_content) == PNG
    assert client.delete(files_url(project, rest=f"{attachment['id']}/")).status_code == 204
    assert not DocAttachment.objects.exists()
    assert client.get(attachment["url"]).status_code == 404


def test_upload_refusals_are_field_errors(api, project, member_of, settings):
    client = api.as_user(member_of(project, "member"))
    make_doc(project, title="Spec")
    assert client.post(files_url(project), {}, format="multipart").json().keys() == {"file"}
    fake = upload(client, project, name="x.png", content=b"MZ not a png")
    assert fake.status_code == 400 and "does not match" in fake.json()["file"][0]
    exe = upload(client, project, name="run.exe", content=b"MZ", content_type="application/x-msdownload")
    assert exe.status_code == 400 and "not accepted" in exe.json()["file"][0]
    settings.DOCS_ATTACHMENT_MAX_BYTES = 10
    assert "larger than" in upload(client, project).json()["file"][0]
    assert not DocAttachment.objects.exists()


@pytest.mark.parametrize(("role", "read", "write"), [("viewer", 200, 403), ("member", 200, 201), (None, 404, 404)])
def test_attachment_roles(api, project, member_of, user, role, read, write):
    caller = member_of(project, role) if role else user
    client = api.as_user(caller)
    make_doc(project, title="Spec")
    assert client.get(files_url(project)).status_code == read
    assert upload(client, project).status_code == write


def test_attachments_of_another_project_are_404(api, project, member_of):
    from tests.projects.factories import ProjectFactory

    other = ProjectFactory()
    client = api.as_user(member_of(project, "member"))
    member_of(other, "member")
    doc = make_doc(other, title="Spec")
    attachment = services.attachment_add(
        doc=doc, uploaded_file=SimpleUploadedFile("a.png", PNG, content_type="image/png"), user=None
    )
    make_doc(project, title="Spec")
    assert client.get(files_url(project, rest=f"{attachment.pk}/")).status_code == 404
    assert client.delete(files_url(project, rest=f"{attachment.pk}/")).status_code == 404
    assert DocAttachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.parametrize("size", [2, 12])
def test_attachment_list_costs_constant_queries(api, project, member_of, size, django_assert_max_num_queries):
    client = api.as_user(member_of(project, "member"))
    doc = make_doc(project, title="Spec")
    for i in range(size):
        services.attachment_add(
            doc=doc, uploaded_file=SimpleUploadedFile(f"a{i}.png", PNG, content_type="image/png"), user=None
        )
    with django_assert_max_num_queries(7):
        assert len(client.get(files_url(project)).json()["results"]) == size


@pytest.mark.parametrize(("role", "status"), [("admin", 204), ("member", 403), ("viewer", 403)])
def test_purging_a_trashed_page_takes_an_admin(api, project, member_of, role, status):
    client = api.as_user(member_of(project, role))
    doc = make_doc(project, title="Old")
    services.doc_trash(doc=doc, user=None)
    assert client.delete(f"/api/v1/projects/{project.key}/docs-trash/{doc.pk}/").status_code == status
    assert Doc.objects.filter(pk=doc.pk).exists() == (status != 204)


def test_purging_a_live_page_or_an_unknown_id_is_404(api, project, member_of):
    client = api.as_user(member_of(project, "admin"))
    doc = make_doc(project, title="Alive")
    assert client.delete(f"/api/v1/projects/{project.key}/docs-trash/{doc.pk}/").status_code == 404
    assert client.delete(f"/api/v1/projects/{project.key}/docs-trash/999999/").status_code == 404
    assert Doc.objects.filter(pk=doc.pk).exists()


def test_admins_add_and_delete_their_own_templates(api, project, member_of):
    client = api.as_user(member_of(project, "admin"))
    base = f"/api/v1/projects/{project.key}/doc-templates/"
    response = client.post(base, {"name": "Weekly sync", "body": "## Notes"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "slug": "weekly-sync",
        "name": "Weekly sync",
        "description": "",
        "body": "## Notes",
        "builtin": False,
    }
    assert "weekly-sync" in {t["slug"] for t in client.get(base).json()["results"]}
    again = client.post(base, {"name": "Weekly sync", "body": "x"}, format="json")
    assert again.status_code == 400 and "already has" in again.json()["name"][0]
    assert client.post(base, {"name": "", "body": ""}, format="json").json().keys() == {"name", "body"}
    page = client.post(f"/api/v1/projects/{project.key}/docs/", {"title": "Mon", "template": "weekly-sync"})
    assert page.json()["body"].startswith("## Notes")
    assert client.delete(f"{base}weekly-sync/").status_code == 204
    assert client.delete(f"{base}project-charter/").status_code == 404  # built-in templates stay
    assert not DocTemplate.objects.exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_write_templates(api, project, member_of, role):
    client = api.as_user(member_of(project, role))
    base = f"/api/v1/projects/{project.key}/doc-templates/"
    assert client.post(base, {"name": "T", "body": "b"}, format="json").status_code == 403
    services.doc_template_create(project=project, name="T", body="b")
    assert client.delete(f"{base}t/").status_code == 403


def test_non_members_get_404_for_trash_and_templates(api, project, user):
    client = api.as_user(user)
    doc = make_doc(project, title="Old")
    services.doc_trash(doc=doc, user=None)
    services.doc_template_create(project=project, name="T", body="b")
    assert client.delete(f"/api/v1/projects/{project.key}/docs-trash/{doc.pk}/").status_code == 404
    assert client.post(f"/api/v1/projects/{project.key}/doc-templates/", {"name": "X", "body": "y"}).status_code == 404
    assert client.delete(f"/api/v1/projects/{project.key}/doc-templates/t/").status_code == 404
    assert Doc.objects.filter(pk=doc.pk).exists() and DocTemplate.objects.count() == 1


def test_preview_renders_without_saving(api, project, member_of, monkeypatch):
    from tests.projects.factories import TicketFactory

    ticket = TicketFactory(project=project)
    client = api.as_user(member_of(project, "member"))
    url = f"/api/v1/projects/{project.key}/docs-preview/"
    response = client.post(url, {"body": f"# Plan\n\nSee {ticket.key}. <script>x</script>"}, format="json")
    assert response.status_code == 200, response.json()
    html = response.json()["html"]
    assert "<h1" in html and f"/tickets/{ticket.key}/" in html and "<script" not in html
    assert "Plan" in response.json()["toc"]
    assert not Doc.objects.exists()
    assert client.post(url, {}, format="json").json().keys() == {"body"}
    from aihub import limits

    monkeypatch.setitem(limits.TEXT_LIMITS, ("docs_hub.Doc", "body"), 10)
    too_long = client.post(url, {"body": "x" * 11}, format="json")
    assert too_long.status_code == 400 and "at most 10" in too_long.json()["body"][0]


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), (None, 404)])
def test_preview_is_for_writers(api, project, member_of, user, role, status):
    client = api.as_user(member_of(project, role) if role else user)
    assert client.post(f"/api/v1/projects/{project.key}/docs-preview/", {"body": "x"}).status_code == status

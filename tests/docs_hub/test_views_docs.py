import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from docs_hub import services
from docs_hub.models import Doc, DocAttachment
from tests.accounts.factories import UserFactory
from tests.docs_hub.factories import make_doc
from tests.projects.factories import TicketFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def member(project, member_of, client):
    user = member_of(project, "member")
    client.force_login(user)
    return user


def docs_url(project, rest=""):
    return f"/projects/{project.key}/docs/{rest}"


def test_create_edit_and_read_a_page(client, project, member):
    response = client.post(
        docs_url(project, "new/"), {"title": "Runbook", "body": "# Steps\n\n1. restart", "template": "", "parent": ""}
    )
    assert response.status_code == 302 and response["Location"] == docs_url(project, "runbook/")
    page = client.get(docs_url(project, "runbook/")).content.decode()
    assert "<h1>Runbook</h1>" in page and 'id="md-steps"' in page and "Version 1" in page
    edit = client.get(docs_url(project, "runbook/edit/")).content.decode()
    assert 'name="version" value="1"' in edit and 'hx-post="/projects/' in edit
    response = client.post(
        docs_url(project, "runbook/edit/"), {"title": "Runbook", "body": "changed", "message": "simpler", "version": 1}
    )
    assert response.status_code == 302
    history = client.get(docs_url(project, "runbook/history/")).content.decode()
    assert "simpler" in history and "v2" in history


def test_stale_edit_shows_both_texts_and_loses_nothing(client, project, member):
    doc = make_doc(project, title="Spec", body="base text")
    services.doc_update(doc=doc, author=UserFactory(username="alice"), body="ALICE TEXT", message="alice edit")
    response = client.post(docs_url(project, "spec/edit/"), {"title": "Spec", "body": "BOB TEXT", "version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "ALICE TEXT" in page and "BOB TEXT" in page and "alice edit" in page
    assert 'name="version" value="2"' in page  # the merged text will be saved on top of theirs
    doc.refresh_from_db()
    assert doc.body == "ALICE TEXT"
    response = client.post(
        docs_url(project, "spec/edit/"), {"title": "Spec", "body": "ALICE TEXT + BOB TEXT", "version": 2}
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.body == "ALICE TEXT + BOB TEXT" and doc.version == 3


def test_live_preview_is_an_htmx_fragment(client, project, member):
    ticket = TicketFactory(project=project, title="Check")
    response = client.post(
        docs_url(project, "preview/"), {"body": f"**bold** {ticket.key} <script>x</script>"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>bold</strong>" in html and "<script" not in html
    assert f"/tickets/{ticket.key}/" in html and "<html" not in html


def test_renamed_page_redirects_from_old_url(client, project, member):
    doc = make_doc(project, title="Old title")
    services.doc_update(doc=doc, author=member, title="New title")
    response = client.get(docs_url(project, "old-title/"))
    assert response.status_code == 301 and response["Location"] == docs_url(project, "new-title/")
    assert client.get(docs_url(project, "old-title/history/"))["Location"] == docs_url(project, "new-title/history/")


def test_roles_viewer_reads_without_edit_controls_outsider_gets_404(client, project, member_of):
    make_doc(project, title="Public page")
    viewer = member_of(project, "viewer")
    client.force_login(viewer)
    page = client.get(docs_url(project, "public-page/")).content.decode()
    assert "Public page" in page and "/edit/" not in page and "New page" not in page
    assert client.get(docs_url(project, "public-page/edit/")).status_code == 403
    assert client.post(docs_url(project, "new/"), {"title": "x"}).status_code == 403
    assert client.post(docs_url(project, "public-page/delete/")).status_code == 403
    client.force_login(UserFactory())
    for path in ("", "public-page/", "public-page/history/", "trash/", "export.zip", "public-page/export.md"):
        assert client.get(docs_url(project, path)).status_code == 404, path


def test_trash_and_admin_restore_through_pages(client, project, member, member_of):
    make_doc(project, title="Doomed")
    assert client.post(docs_url(project, "doomed/delete/")).status_code == 302
    assert client.get(docs_url(project, "doomed/")).status_code == 404
    doc = Doc.objects.get(title="Doomed")
    assert "Doomed" in client.get(docs_url(project, "trash/")).content.decode()
    assert client.post(docs_url(project, f"trash/{doc.pk}/restore/")).status_code == 403  # members cannot
    client.force_login(member_of(project, "admin"))
    assert client.post(docs_url(project, f"trash/{doc.pk}/restore/")).status_code == 302
    assert client.get(docs_url(project, "doomed/")).status_code == 200


def test_diff_and_restore_pages(client, project, member):
    doc = make_doc(project, title="Doc", body="one\ntwo")
    services.doc_update(doc=doc, author=member, body="one\nTWO")
    page = client.get(docs_url(project, "doc/diff/?from=1&to=2")).content.decode()
    assert 'class="diff-del"' in page and 'class="diff-add"' in page and "TWO" in page
    assert client.get(docs_url(project, "doc/diff/?from=1&to=9")).status_code == 404
    assert client.post(docs_url(project, "doc/history/1/restore/")).status_code == 302
    doc.refresh_from_db()
    assert doc.body == "one\ntwo" and doc.version == 3


def test_new_page_from_template_and_admin_adds_template(client, project, member, member_of):
    page = client.get(docs_url(project, "new/?template=model-card")).content.decode()
    assert "Model card" in page
    client.post(docs_url(project, "new/"), {"title": "Card", "template": "model-card", "body": ""})
    assert "## Intended use" in Doc.objects.get(title="Card").body
    assert client.post(docs_url(project, "templates/"), {"name": "Retro", "body": "## Went well"}).status_code == 403
    client.force_login(member_of(project, "admin"))
    assert client.post(docs_url(project, "templates/"), {"name": "Retro", "body": "## Went well"}).status_code == 302
    assert "Retro" in client.get(docs_url(project, "templates/")).content.decode()


@pytest.fixture
def attachment_root(tmp_path):
    """Attachments in a temporary folder, 1 KiB limit (the storage re-reads the setting)."""
    from django.utils.functional import empty

    from docs_hub.models import attachment_storage

    with override_settings(DOCS_ATTACHMENT_ROOT=tmp_path, DOCS_ATTACHMENT_MAX_BYTES=1024):
        attachment_storage._wrapped = empty
        yield tmp_path
    attachment_storage._wrapped = empty


def test_attachments_checked_and_served_only_to_members(client, project, member, attachment_root, settings):
    make_doc(project, title="Gallery")
    response = client.post(
        docs_url(project, "gallery/attachments/"),
        {"file": SimpleUploadedFile("shot.png", PNG, content_type="image/png")},
    )
    assert response.status_code == 302
    attachment = DocAttachment.objects.get()
    stored = attachment_root / attachment.file.name
    assert stored.exists() and not str(stored).startswith(str(settings.MEDIA_ROOT))
    url = docs_url(project, f"attachments/{attachment.pk}/shot.png")
    got = client.get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/png" and b"".join(got.streaming_content) == PNG
    # A fake image, an HTML file and a too-large file are refused with a message.
    for name, data, ctype in [
        ("fake.png", b"<html><script>", "image/png"),
        ("page.html", b"<script>alert(1)</script>", "text/html"),
        ("big.txt", b"x" * 2048, "text/plain"),
    ]:
        response = client.post(
            docs_url(project, "gallery/attachments/"),
            {"file": SimpleUploadedFile(name, data, content_type=ctype)},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 400, name
        assert "field-error" in response.content.decode()
    assert DocAttachment.objects.count() == 1
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign-in


def test_export_page_and_tree_zip(client, project, member):
    root = make_doc(project, title="Handbook", body="Root text")
    child = make_doc(project, title="Setup", body="Child text", parent=root)
    make_doc(project, title="Deep", body="Deep text", parent=child)
    make_doc(project, title="Other", body="Other text")
    md = client.get(docs_url(project, "handbook/export.md"))
    assert md.content.decode() == "# Handbook\n\nRoot text\n" and "attachment" in md["Content-Disposition"]
    tree = zipfile.ZipFile(io.BytesIO(client.get(docs_url(project, "handbook/export.zip")).content))
    assert sorted(tree.namelist()) == ["handbook.md", "handbook/setup.md", "handbook/setup/deep.md"]
    assert tree.read("handbook/setup/deep.md").decode() == "# Deep\n\nDeep text\n"
    everything = zipfile.ZipFile(io.BytesIO(client.get(docs_url(project, "export.zip")).content))
    assert sorted(everything.namelist()) == ["handbook.md", "handbook/setup.md", "handbook/setup/deep.md", "other.md"]


def test_ticket_panel_and_hub_section_fragments(client, project, member):
    ticket = TicketFactory(project=project, title="Labels")
    make_doc(project, title="Label guide", body=f"Tracked in {ticket.key}")
    panel = client.get(docs_url(project, f"ticket-panel/{ticket.key}/"), HTTP_HX_REQUEST="true").content.decode()
    assert "Label guide" in panel and "<html" not in panel
    assert client.get(docs_url(project, "ticket-panel/NOPE-1/")).status_code == 404
    hub = client.get(docs_url(project, "hub-section/")).content.decode()
    assert "Label guide" in hub
    client.force_login(UserFactory())
    assert client.get(docs_url(project, f"ticket-panel/{ticket.key}/")).status_code == 404


def test_docs_tab_and_header_search_box(client, project, member):
    page = client.get(f"/projects/{project.key}/").content.decode()
    assert f'href="/projects/{project.key}/docs/"' in page and ">Docs<" in page
    assert 'action="/search/"' in page and 'name="q"' in page
    assert f"/projects/{project.key}/docs/hub-section/" in page


def test_search_page_serves_its_results_partial_to_htmx_only(client, project, member):
    make_doc(project, title="Label guide", body="How we label camera frames.")
    page = client.get("/search/?q=camera").content.decode()
    assert "<html" in page and 'id="search-results"' in page and "Label guide" in page
    partial = client.get("/search/?q=camera", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and partial.lstrip().startswith('<div id="search-results">')
    assert "Label guide" in partial
    boosted = client.get("/search/?q=camera", HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true").content.decode()
    assert "<html" in boosted  # a boosted link swaps the whole body: it gets the page


@pytest.mark.parametrize("size", [3, 30])
def test_docs_pages_cost_a_constant_number_of_queries(client, project, member, size, django_assert_max_num_queries):
    parent = None
    for n in range(size):
        doc = make_doc(project, title=f"Page {n}", body=f"[[Page {n + 1}]] and [[Page 0]]", parent=parent)
        parent = doc if n % 3 == 0 else parent
    with django_assert_max_num_queries(8):
        assert client.get(docs_url(project)).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(docs_url(project, "page-0/")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(docs_url(project, "page-0/history/")).status_code == 200


def test_shift_reorders_with_htmx_and_never_redirects_off_site(client, project, member):
    make_doc(project, title="First")
    make_doc(project, title="Second")
    response = client.post(docs_url(project, "tree/shift/"), {"shift": "second:up"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.index("Second") < html.index("First") and "<html" not in html
    response = client.post(docs_url(project, "tree/shift/"), {"shift": "second:down", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == docs_url(project)
    assert client.post(docs_url(project, "tree/shift/"), {"shift": "second"}).status_code == 400
    assert client.post(docs_url(project, "tree/shift/"), {"shift": "nope:up"}).status_code == 404


def test_history_paginates(client, project, member):
    doc = make_doc(project, title="Busy", body="0")
    for n in range(1, 60):
        services.doc_update(doc=doc, author=member, body=str(n))
    first = client.get(docs_url(project, "busy/history/")).content.decode()
    assert 'id="rev-60"' in first and 'id="rev-11"' in first and 'id="rev-10"' not in first and "Page 1 of 2" in first
    second = client.get(docs_url(project, "busy/history/?page=2")).content.decode()
    assert 'id="rev-10"' in second and 'id="rev-1"' in second


def test_export_zip_carries_attachments_with_relative_links(client, project, member, attachment_root):
    root = make_doc(project, title="Handbook")
    child = make_doc(project, title="Setup", parent=root)
    attachment = services.attachment_add(
        doc=child, uploaded_file=SimpleUploadedFile("wiring.png", PNG, content_type="image/png"), user=member
    )
    services.doc_update(
        doc=child, author=member, body=f"![wiring](/projects/{project.key}/docs/attachments/{attachment.pk}/wiring.png)"
    )
    archive = zipfile.ZipFile(io.BytesIO(client.get(docs_url(project, "handbook/export.zip")).content))
    name = f"_attachments/{attachment.pk}-wiring.png"
    assert archive.read(name) == PNG
    assert f"![wiring](../{name})" in archive.read("handbook/setup.md").decode()


def test_save_to_a_page_renamed_meanwhile_is_a_conflict_not_a_404(client, project, member):
    doc = make_doc(project, title="Draft", body="start")
    services.doc_update(doc=doc, author=UserFactory(), title="Final", body="start")
    response = client.post(docs_url(project, "draft/edit/"), {"title": "Draft", "body": "my words", "version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "my words" in page and "Their version (v2): Final" in page

"""The Import Markdown page under the docs: preview (htmx partial) writes nothing, import
redirects to the job page that links to the new tree; roles; query budgets."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils.functional import empty

from docs_hub.models import Doc, attachment_storage
from integrations.models import ImportJob
from projects.models import Role
from tests.docs_hub.factories import make_doc
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent.parent / "docs_hub" / "fixtures" / "confluence_export.zip"


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
def member_client(client, project):
    user = MembershipFactory(project=project, role=Role.MEMBER).user
    client.force_login(user)
    return client


def the_zip(data: bytes | None = None):
    return SimpleUploadedFile("confluence_export.zip", data or FIXTURE.read_bytes(), content_type="application/zip")


PAGE = "/projects/VIS/docs/import/markdown/"


def test_the_docs_home_links_to_the_import_page(member_client):
    page = member_client.get("/projects/VIS/docs/").content.decode()
    assert f'href="{PAGE}"' in page


def test_preview_partial_shows_the_tree_and_writes_nothing(member_client):
    answer = member_client.post(PAGE, {"file": the_zip(), "action": "preview"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.lstrip().startswith('<section class="card" id="import-preview"')
    assert "<strong>11</strong> pages under <strong>the top level</strong>: 11 new" in html
    assert "Labeling guide \u2013 标注指南" in html and "Défauts de surface (Größe ≥ 2 mm)" in html
    assert "[[Slack channel]]" in html  # a missing link, reported
    assert Doc.objects.count() == 0 and ImportJob.objects.count() == 0


def test_a_refused_zip_shows_the_reason(member_client):
    answer = member_client.post(PAGE, {"file": the_zip(b"not a zip"), "action": "preview"}, HTTP_HX_REQUEST="true")
    assert "This is not a zip archive" in answer.content.decode()
    answer = member_client.post(PAGE, {"file": the_zip(b"not a zip"), "action": "import"})
    assert answer.status_code == 400 and "This is not a zip archive" in answer.content.decode()
    assert ImportJob.objects.count() == 0


def test_import_then_follow_the_job_to_the_new_tree(member_client, project, django_capture_on_commit_callbacks):
    handbook = make_doc(project, title="Handbook")
    with django_capture_on_commit_callbacks(execute=True):
        answer = member_client.post(PAGE, {"file": the_zip(), "parent": handbook.pk, "action": "import"})
    job = ImportJob.objects.get()
    assert answer.status_code == 302 and answer.url == f"{PAGE}{job.pk}/"
    page = member_client.get(answer.url).content.decode()
    assert "11 pages created, 0 updated, 0 unchanged" in page
    assert 'href="/projects/VIS/docs/vision-team/"' in page
    assert Doc.objects.get(slug="vision-team").parent == handbook
    partial = member_client.get(answer.url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section class="card" id="import-status"') and "hx-trigger" not in partial


def test_a_running_job_polls(member_client, project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        member_client.post(PAGE, {"file": the_zip(), "action": "import"})
    job = ImportJob.objects.get()
    page = member_client.get(f"{PAGE}{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "0 of 11 pages" in page


def test_roles(client, project):
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    outsider = MembershipFactory(project=ProjectFactory(), role=Role.ADMIN).user
    client.force_login(viewer)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"file": the_zip(), "action": "import"}).status_code == 403
    client.force_login(outsider)
    assert client.get(PAGE).status_code == 404
    assert ImportJob.objects.count() == 0


def test_someone_elses_job_page_is_404(client, project, django_capture_on_commit_callbacks):
    starter = MembershipFactory(project=project, role=Role.MEMBER).user
    client.force_login(starter)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(PAGE, {"file": the_zip(), "action": "import"})
    job = ImportJob.objects.get()
    client.force_login(MembershipFactory(project=project, role=Role.MEMBER).user)
    assert client.get(f"{PAGE}{job.pk}/").status_code == 404
    client.force_login(MembershipFactory(project=project, role=Role.ADMIN).user)
    assert client.get(f"{PAGE}{job.pk}/").status_code == 200


@pytest.mark.parametrize("docs", [2, 40])
def test_the_pages_cost_a_constant_number_of_queries(
    member_client, project, docs, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for n in range(docs):
        Doc.objects.create(project=project, title=f"Page {n}", slug=f"page-{n}")
    with django_assert_max_num_queries(6):
        assert member_client.get(PAGE).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        answer = member_client.post(PAGE, {"file": the_zip(), "action": "import"})
    with django_assert_max_num_queries(6):
        assert member_client.get(answer.url).status_code == 200


def test_titles_and_links_from_the_zip_are_shown_escaped(member_client):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.md", '---\ntitle: "<img src=x onerror=alert(1)>"\n---\n[x](<script>.md)')
    answer = member_client.post(PAGE, {"file": the_zip(buffer.getvalue()), "action": "preview"}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>" not in html and "&lt;script&gt;.md" in html

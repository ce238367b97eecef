"""Markdown zip import, the docs side: a committed Confluence-to-Markdown style export
(fixtures/confluence_export.zip: nested folders, front matter, images, ../ links with
anchors, a Notion page with its id, Obsidian [[links]] and ![[embeds]], non-ASCII titles)
becomes a tree of pages; importing it again updates instead of duplicating."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils.functional import empty

from docs_hub import services
from docs_hub.models import Doc, DocAttachment, DocLink, DocRevision, attachment_storage
from tests.docs_hub.factories import make_doc
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "confluence_export.zip"
NOTION_ID = "0123456789abcdef0123456789abcdef"
Q1_ID = "fedcba9876543210fedcba9876543210"
GUIDE = "Labeling guide \u2013 标注指南"  # an en dash, as the front matter has it
DEFECTS = "Défauts de surface (Größe ≥ 2 mm)"


@pytest.fixture(autouse=True)
def attachment_dir(tmp_path):
    with override_settings(DOCS_ATTACHMENT_ROOT=tmp_path):
        attachment_storage._wrapped = empty
        yield tmp_path
    attachment_storage._wrapped = empty


def zip_of(files: dict[str, bytes | str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    buffer.seek(0)
    return buffer


def fixture_zip(**replace: str) -> io.BytesIO:
    """The committed fixture, with some files' text replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(FIXTURE) as source, zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            archive.writestr(info, replace.get(info.filename, data))
    out.seek(0)
    return out


def import_fixture(project, user=None, parent=None, upload=None):
    plan = services.plan_zip(upload or FIXTURE.open("rb"))
    return services.markdown_import_apply(
        project=project, parent=parent, plan=plan, user=user, source_name="confluence_export.zip"
    )


def tree_of(project) -> dict:
    docs = list(Doc.objects.filter(project=project, deleted_at__isnull=True))
    by_id = {doc.id: doc for doc in docs}

    def path(doc):
        return (*path(by_id[doc.parent_id]), doc.title) if doc.parent_id else (doc.title,)

    return {" / ".join(path(doc)): doc for doc in docs}


def test_the_fixture_is_small_and_holds_what_the_issue_asks_for():
    assert FIXTURE.stat().st_size < 100 * 1024
    names = zipfile.ZipFile(FIXTURE).namelist()
    assert sum(name.endswith(".png") for name in names) == 3
    assert any(NOTION_ID in name for name in names) and any("__MACOSX" in name for name in names)


def test_preview_shows_the_tree_and_writes_nothing(project):
    plan = services.plan_zip(FIXTURE.open("rb"))
    preview = services.markdown_import_preview(project=project, parent=None, plan=plan)

    assert Doc.objects.count() == 0 and DocAttachment.objects.count() == 0
    assert (preview["pages"], preview["create"], preview["update"], preview["attachments"]) == (11, 11, 0, 3)
    [root] = preview["tree"]
    assert root["title"] == "Vision team"
    assert [child["title"] for child in root["children"]] == [
        "Datasets",
        "Onboarding",
        "Release checklist",
        "Runbooks",
        "Vision team home",
    ]
    datasets = root["children"][0]
    assert [c["title"] for c in datasets["children"]] == [DEFECTS, GUIDE]
    assert root["children"][2]["children"][0]["title"] == "Sign-off"  # Notion ids stripped
    assert {link["link"] for link in preview["missing_links"]} == {
        "[old capture notes](../Archive/old-capture.md)",
        "[[Slack channel]]",
    }
    assert preview["links_rewritten"] == 16


def test_import_builds_the_tree_with_titles_attachments_and_links(project, user):
    outcome = import_fixture(project, user)

    assert (outcome["created"], outcome["updated"], outcome["attachments"]) == (11, 0, 3)
    tree = tree_of(project)
    assert set(tree) == {
        "Vision team",
        "Vision team / Datasets",
        "Vision team / Datasets / Défauts de surface (Größe ≥ 2 mm)",
        f"Vision team / Datasets / {GUIDE}",
        "Vision team / Onboarding",
        "Vision team / Onboarding / Getting started",
        "Vision team / Release checklist",
        "Vision team / Release checklist / Sign-off",
        "Vision team / Runbooks",
        "Vision team / Runbooks / Deploy a model",
        "Vision team / Vision team home",
    }
    home = tree["Vision team / Vision team home"]
    # Front matter gone, its title used (the repeated H1 too), links rewritten to [[...]].
    assert not home.body.startswith("---") and "# Vision team home" not in home.body
    assert "[[Getting started]]" in home.body and "[[Datasets|datasets]]" in home.body
    assert "[[Release checklist]]" in home.body and "[PyTorch](https://pytorch.org/docs/)" in home.body
    logo = DocAttachment.objects.get(doc=home)
    assert (logo.name, logo.content_type) == ("logo.png", "image/png")
    assert f"![Team logo](/projects/{project.key}/docs/attachments/{logo.pk}/logo.png)" in home.body
    assert f'<img alt="Team logo" src="/projects/{project.key}/docs/attachments/{logo.pk}/logo.png"' in home.body_html

    defects = tree["Vision team / Datasets / Défauts de surface (Größe ≥ 2 mm)"]
    assert defects.body.startswith("Back to [[Datasets|all datasets]].")
    assert "[old capture notes](../Archive/old-capture.md)" in defects.body  # missing: left as it was
    assert "[this stays as written](../Datasets.md)" in defects.body  # inside a code block
    assert defects.attachments.get().name == "sample-defect.png"
    guide = tree[f"Vision team / Datasets / {GUIDE}"]
    assert "[[Vision team home|the home page]]" in guide.body  # Obsidian alias, front matter title
    assert "[[Getting started|the install steps]]" in guide.body
    tool = guide.attachments.get()
    assert f"![label-tool.png](/projects/{project.key}/docs/attachments/{tool.pk}/label-tool.png)" in guide.body
    assert "[[Slack channel]]" in guide.body
    deploy = tree["Vision team / Runbooks / Deploy a model"]
    assert "[[Sign-off|sign-off]]" in deploy.body
    # The links resolve: backlinks are kept as for any page.
    target = DocLink.objects.get(source=deploy).target
    assert target == tree["Vision team / Release checklist / Sign-off"]
    assert tree["Vision team / Runbooks"].import_path == "Vision team/Runbooks/README.md"
    # One revision per page, with the import named.
    assert DocRevision.objects.filter(doc__project=project).count() == 11
    assert DocRevision.objects.get(doc=home).message == "Imported from confluence_export.zip"
    assert outcome["roots"] == [{"id": tree["Vision team"].pk, "slug": "vision-team", "title": "Vision team"}]


def test_reimport_updates_changed_pages_and_duplicates_nothing(project, user):
    import_fixture(project, user)
    before = {doc.pk: doc.version for doc in Doc.objects.all()}

    again = import_fixture(project, user)
    assert (again["created"], again["updated"], again["unchanged"], again["attachments"]) == (0, 0, 11, 0)
    assert again["attachments_reused"] == 3
    assert {doc.pk: doc.version for doc in Doc.objects.all()} == before
    assert DocAttachment.objects.count() == 3

    changed = fixture_zip(**{"Vision team/Runbooks/Deploy.md": "# Deploy a model\n\nRoll back with `make rollback`.\n"})
    third = import_fixture(project, user, upload=changed)
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 1, 10)
    deploy = Doc.objects.get(title="Deploy a model")
    assert deploy.version == 2 and "make rollback" in deploy.body
    assert list(deploy.revisions.values_list("version", flat=True)) == [2, 1]
    assert Doc.objects.count() == 11


def test_import_under_a_parent_and_elsewhere_is_a_separate_tree(project, user):
    handbook = make_doc(project, title="Handbook")
    outcome = import_fixture(project, user, parent=handbook)
    root = Doc.objects.get(pk=outcome["roots"][0]["id"])
    assert root.parent == handbook
    # The same zip at the top level is another copy; under Handbook again, the same pages.
    assert import_fixture(project, user)["created"] == 11
    assert import_fixture(project, user, parent=handbook)["created"] == 0
    assert Doc.objects.filter(title="Vision team").count() == 2


def test_a_title_used_twice_links_by_slug(project, user):
    make_doc(project, title="Getting started", body="The old one.")
    import_fixture(project, user)
    home = Doc.objects.get(title="Vision team home")
    new = Doc.objects.get(title="Getting started", import_path__endswith="Getting started.md")
    assert f"[[{new.slug}|Getting started]]" in home.body
    assert DocLink.objects.filter(source=home, target=new).exists()


def test_a_page_created_by_the_import_resolves_links_written_before(project, user):
    waiting = make_doc(project, title="Notes", body="See [[Runbooks]].")
    assert DocLink.objects.get(source=waiting).target is None
    import_fixture(project, user)
    assert DocLink.objects.get(source=waiting).target.title == "Runbooks"


def test_obsidian_and_notion_layouts():
    plan = services.plan_zip(
        zip_of(
            {
                "Vault/Projects/index.md": "Projects overview.",
                "Vault/Projects/Alpha.md": (
                    "---\ntitle: Alpha project\n---\nSee [[Beta|the beta]] and ![[chart.png|300]]."
                ),
                "Vault/Projects/Beta.markdown": "\ufeff# Beta\n\nBack to [[Alpha]] and [[Alpha#Goals]].",
                "Vault/assets/chart.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 30,
                "Vault/.obsidian/app.json": "{}",
                f"Roadmap {NOTION_ID}.md": f"# Roadmap\n\n[Q1](Roadmap%20{NOTION_ID}/Q1%20{Q1_ID}.md)",
                f"Roadmap {NOTION_ID}/Q1 {Q1_ID}.md": "Plan.",
            }
        )
    )
    titles = {path: page.title for path, page in plan.pages.items()}
    assert titles["Vault/Projects/index.md"] == "Projects"  # index.md is the folder's page
    assert plan.pages["Vault/Projects/Alpha.md"].parent == "Vault/Projects/index.md"
    assert titles["Vault/Projects/Beta.markdown"] == "Beta"  # BOM dropped, H1 taken
    q1 = plan.pages[f"Roadmap {NOTION_ID}/Q1 {Q1_ID}.md"]
    assert (q1.title, q1.parent) == ("Q1", f"Roadmap {NOTION_ID}.md")
    assert not any(".obsidian" in path for path in plan.pages) and plan.attachment_count == 1
    assert plan.missing_links == []


@pytest.mark.parametrize(
    "files, reason",
    [
        ({"../evil.md": "x"}, "Unsafe path"),
        ({"docs/../../evil.md": "x"}, "Unsafe path"),
        ({"/etc/evil.md": "x"}, "Unsafe path"),
        ({"notes.txt": "x"}, "no Markdown files"),
    ],
)
def test_unsafe_or_empty_zips_are_refused(files, reason):
    with pytest.raises(ValidationError) as error:
        services.plan_zip(zip_of(files))
    assert reason in error.value.message_dict["file"][0]


def test_a_symlink_a_bomb_and_a_non_zip_are_refused(settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("docs/link.md")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(ValidationError, match="symbolic link"):
        services.plan_zip(buffer)

    settings.DOCS_IMPORT_MAX_TOTAL_BYTES = 1_000_000
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.md", "x" * 2_000_000)  # 2 MB of one letter: a few KB packed
    assert bomb.tell() < 10_000
    with pytest.raises(ValidationError, match="at most 1,000,000"):
        services.plan_zip(bomb)

    settings.DOCS_IMPORT_MAX_FILES = 3
    with pytest.raises(ValidationError, match="at most 3 are accepted"):
        services.plan_zip(zip_of({f"p{n}.md": "x" for n in range(4)}))

    with pytest.raises(ValidationError, match="not a zip archive"):
        services.plan_zip(io.BytesIO(b"# just markdown\n"))


def test_a_file_bigger_than_its_header_says_is_refused(settings):
    settings.DOCS_IMPORT_MAX_FILE_BYTES = 1000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.md", "y" * 50_000)
    raw = bytearray(buffer.getvalue())
    # Lie in both headers: claim 10 bytes unpacked.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        raw[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    with pytest.raises(ValidationError, match=r"more than its header says|cannot be read"):
        services.plan_zip(io.BytesIO(bytes(raw)))


def test_a_page_longer_than_the_limit_is_cut_and_attached_whole(project, user):
    long_text = "# Long\n\n" + "\n".join(f"Line {n} of the log." for n in range(3000))
    plan = services.plan_zip(zip_of({"long.md": long_text}))
    assert plan.warnings and "cut" in plan.warnings[0]
    outcome = services.markdown_import_apply(project=project, parent=None, plan=plan, user=user)
    doc = Doc.objects.get(pk=outcome["roots"][0]["id"])
    attachment = doc.attachments.get()
    assert attachment.name == "long.md" and attachment.size == len(long_text.encode())
    assert f"(/projects/{project.key}/docs/attachments/{attachment.pk}/long.md)" in doc.body
    assert len(doc.body) <= 20_000


def test_a_file_of_a_refused_type_is_left_as_a_link_and_reported(project, user):
    plan = services.plan_zip(zip_of({"a.md": "Run [the tool](tool.exe).", "tool.exe": b"MZ\x90\x00"}))
    assert "not a type of file" in plan.warnings[0]
    outcome = services.markdown_import_apply(project=project, parent=None, plan=plan, user=user)
    assert Doc.objects.get(pk=outcome["roots"][0]["id"]).body == "Run [the tool](tool.exe)."
    assert DocAttachment.objects.count() == 0


def test_a_parent_of_another_project_is_refused(project, user):
    other = make_doc(ProjectFactory(), title="Elsewhere")
    plan = services.plan_zip(FIXTURE.open("rb"))
    with pytest.raises(ValidationError):
        services.markdown_import_apply(project=project, parent=other, plan=plan, user=user)
    assert Doc.objects.filter(project=project).count() == 0


def test_a_page_near_the_limit_whose_links_would_push_it_over_is_cut_before(project, user):
    text = "# Gallery\n\n" + "Photo notes.\n" * 1400 + "".join(f"![shot {n}](shot.png)\n" for n in range(60))
    assert len(text) < 20_000
    plan = services.plan_zip(zip_of({"gallery.md": text, "shot.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 20}))
    outcome = services.markdown_import_apply(project=project, parent=None, plan=plan, user=user)
    doc = Doc.objects.get(pk=outcome["roots"][0]["id"])
    assert len(doc.body) <= 20_000 and "Cut at import" in doc.body


def test_a_failed_import_leaves_no_pages_and_no_files(project, user, attachment_dir, monkeypatch):
    from docs_hub.services import importing

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_record_revision", broken)
    plan = services.plan_zip(FIXTURE.open("rb"))
    with pytest.raises(RuntimeError):
        services.markdown_import_apply(project=project, parent=None, plan=plan, user=user)
    assert Doc.objects.filter(project=project).count() == 0 and DocAttachment.objects.count() == 0
    assert [path for path in attachment_dir.rglob("*") if path.is_file()] == []


def test_utf8_names_without_the_utf8_flag_are_read_as_utf8():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Notes/Dxxfauts.md", "Texte.")  # "é" is two bytes in UTF-8, as "xx"
    raw = buffer.getvalue().replace(b"Dxxfauts", "Défauts".encode())
    assert raw.count("Défauts".encode()) == 2  # local header and central directory, no UTF-8 flag
    plan = services.plan_zip(io.BytesIO(raw))
    assert [page.title for page in plan.pages.values()] == ["Notes", "Défauts"]


def test_paths_longer_than_the_field_still_match_on_reimport(project, user):
    deep = "/".join(f"Level {n} 0123456789abcdef0123456789abcdef" for n in range(14))
    files = {f"{deep}/Page.md": "# Deep page\n\nText."}
    first = services.markdown_import_apply(
        project=project, parent=None, plan=services.plan_zip(zip_of(files)), user=user
    )
    again = services.markdown_import_apply(
        project=project, parent=None, plan=services.plan_zip(zip_of(files)), user=user
    )
    assert len(f"{deep}/Page.md") > 500 and first["created"] == 15
    assert (again["created"], again["unchanged"]) == (0, 15)
    assert Doc.objects.get(title="Deep page").title == "Deep page"

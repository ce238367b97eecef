import pytest
from django.core.exceptions import ValidationError

from aihub.exceptions import StaleVersion
from docs_hub import selectors, services
from docs_hub.models import Doc, DocLink, DocRevision, DocTicketLink
from tests.accounts.factories import UserFactory
from tests.docs_hub.factories import make_doc
from tests.projects.factories import ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    return UserFactory(username="writer")


def test_every_save_is_a_revision_with_author_time_and_message(project, writer):
    doc = make_doc(project, author=writer, title="Runbook", body="v1")
    services.doc_update(doc=doc, author=writer, body="v2", message="second", version=1)
    services.doc_update(doc=doc, author=writer, body="v3", message="third", version=2)
    revisions = list(selectors.doc_revisions(doc=doc))
    assert [(r.version, r.body, r.message) for r in revisions] == [
        (3, "v3", "third"),
        (2, "v2", "second"),
        (1, "v1", "Created"),
    ]
    assert all(r.author == writer and r.created_at for r in revisions)
    doc.refresh_from_db()
    assert doc.version == 3 and doc.body == "v3"


def test_stale_save_is_refused_and_changes_nothing(project, writer):
    doc = make_doc(project, author=writer, title="Spec", body="original")
    services.doc_update(doc=doc, author=writer, body="theirs", version=1)
    with pytest.raises(StaleVersion) as refused:
        services.doc_update(doc=doc, author=UserFactory(), body="mine", version=1)
    assert refused.value.current.body == "theirs" and refused.value.current.version == 2
    doc.refresh_from_db()
    assert doc.body == "theirs" and doc.version == 2
    assert list(DocRevision.objects.filter(doc=doc).values_list("body", flat=True).order_by("version")) == [
        "original",
        "theirs",
    ]


def test_diff_between_any_two_revisions(project, writer):
    doc = make_doc(project, author=writer, title="Plan", body="alpha\nbeta\ngamma")
    services.doc_update(doc=doc, author=writer, body="alpha\nBETA\ngamma\ndelta")
    services.doc_update(doc=doc, author=writer, title="Plan B", body="alpha\nBETA\ngamma\ndelta\nepsilon")
    v1, v3 = selectors.revision_get(doc=doc, version=1), selectors.revision_get(doc=doc, version=3)
    lines = selectors.revision_diff(old=v1, new=v3)
    assert ("del", "beta") in [(line.kind, line.text) for line in lines]
    assert {("add", "BETA"), ("add", "delta"), ("add", "epsilon"), ("del", "# Plan"), ("add", "# Plan B")} <= {
        (line.kind, line.text) for line in lines
    }
    assert ("same", "alpha") in [(line.kind, line.text) for line in lines]


def test_restore_brings_an_old_version_back_as_a_new_revision(project, writer):
    doc = make_doc(project, author=writer, title="Guide", body="good text")
    services.doc_update(doc=doc, author=writer, title="Guide (broken)", body="vandalised")
    restored = services.doc_revision_restore(doc=doc, version=1, author=writer)
    assert (restored.title, restored.body, restored.version) == ("Guide", "good text", 3)
    assert selectors.revision_get(doc=doc, version=3).message == "Restored version 1"
    assert selectors.revision_get(doc=doc, version=2).body == "vandalised"


def test_rename_changes_the_slug_and_keeps_the_old_one(project, writer):
    doc = make_doc(project, author=writer, title="Old name")
    services.doc_update(doc=doc, author=writer, title="New name")
    doc.refresh_from_db()
    assert doc.slug == "new-name"
    found, moved_to = selectors.doc_by_slug(project=project, slug="old-name")
    assert found is None and moved_to == "new-name"


def test_wiki_links_resolve_and_missing_ones_invite_creation(project, writer):
    target = make_doc(project, author=writer, title="Data requirements")
    source = make_doc(project, author=writer, title="Charter", body="See [[Data requirements]] and [[Glare study]].")
    assert f'href="/projects/{project.key}/docs/{target.slug}/"' in source.body_html
    assert 'class="wikilink missing"' in source.body_html and "title=Glare+study" in source.body_html
    assert selectors.doc_backlinks(doc=target)["docs"][0]["slug"] == source.slug
    # Creating the missing page turns the link into a real one, without a new revision.
    glare = make_doc(project, author=writer, title="Glare study")
    source.refresh_from_db()
    assert f"/docs/{glare.slug}/" in source.body_html and "missing" not in source.body_html
    assert source.version == 1
    assert DocLink.objects.get(source=source, target_text="Glare study").target == glare


def test_wiki_link_by_slug_and_never_inside_code(project, writer):
    target = make_doc(project, author=writer, title="Model card")
    source = make_doc(
        project,
        author=writer,
        title="Notes",
        body="[[model-card]] and `[[model-card]]` and CV-1\n\n```\n[[Model card]] CV-1\n```\n",
    )
    assert source.body_html.count(f"/docs/{target.slug}/") == 1
    assert "<code>[[model-card]]</code>" in source.body_html


def test_ticket_keys_link_and_backlinks_go_both_ways(project, writer):
    ticket = TicketFactory(project=project, title="Label the images")
    other_project_ticket = TicketFactory(project=ProjectFactory(), title="Secret")
    doc = make_doc(
        project, author=writer, title="Data plan", body=f"Work is in {ticket.key}. Not {other_project_ticket.key}."
    )
    assert f'href="/projects/{project.key}/tickets/{ticket.key}/"' in doc.body_html
    assert f"tickets/{other_project_ticket.key}/" not in doc.body_html
    assert list(DocTicketLink.objects.filter(doc=doc).values_list("ticket_key", flat=True)) == [ticket.key]
    from projects import hooks

    backlinks = hooks.backlinks_for([ticket.id, other_project_ticket.id])
    assert backlinks[ticket.id] == [
        {"type": "doc", "slug": doc.slug, "title": "Data plan", "url": f"/projects/{project.key}/docs/{doc.slug}/"}
    ]
    assert backlinks[other_project_ticket.id] == []
    # A ticket whose description names the doc shows on the doc.
    TicketFactory(project=project, title="Follow-up", description="Update [[Data plan]] please")
    assert [t["title"] for t in selectors.doc_backlinks(doc=doc)["tickets_mentioning"]] == ["Follow-up"]
    # Editing the mention away removes the backlink.
    services.doc_update(doc=doc, author=writer, body="No ticket now.")
    assert hooks.backlinks_for([ticket.id])[ticket.id] == []


def test_trash_hides_subtree_and_admin_restore_brings_it_back(project, writer):
    parent = make_doc(project, author=writer, title="Parent")
    child = make_doc(project, author=writer, title="Child", parent=parent)
    linker = make_doc(project, author=writer, title="Linker", body="[[Parent]]")
    services.doc_trash(doc=parent, user=writer)
    assert list(selectors.doc_list(project=project).values_list("title", flat=True)) == ["Linker"]
    assert {d.title for d in selectors.trash_list(project=project)} == {"Parent", "Child"}
    linker.refresh_from_db()
    assert "wikilink missing" in linker.body_html
    services.doc_restore(doc=Doc.objects.get(pk=parent.pk), user=writer)
    assert {d.title for d in selectors.doc_list(project=project)} == {"Parent", "Child", "Linker"}
    assert Doc.objects.get(pk=child.pk).parent_id == parent.pk
    linker.refresh_from_db()
    assert "missing" not in linker.body_html


def test_move_and_reorder(project, writer):
    a = make_doc(project, author=writer, title="A")
    b = make_doc(project, author=writer, title="B")
    c = make_doc(project, author=writer, title="C")
    services.doc_move(doc=c, parent=None, position=0)
    assert [n.title for n in selectors.doc_tree(project=project)] == ["C", "A", "B"]
    services.doc_move(doc=b, parent=a)
    tree = selectors.doc_tree(project=project)
    assert [n.title for n in tree] == ["C", "A"] and [n.title for n in tree[1].children] == ["B"]
    services.doc_shift(doc=Doc.objects.get(pk=a.pk), offset=-1)
    assert [n.title for n in selectors.doc_tree(project=project)] == ["A", "C"]
    with pytest.raises(ValidationError) as refused:
        services.doc_move(doc=Doc.objects.get(pk=a.pk), parent=Doc.objects.get(pk=b.pk))
    assert "under itself" in str(refused.value)


def test_templates_builtin_and_project_own(project, writer):
    doc = make_doc(project, author=writer, title="Our charter", template="project-charter")
    assert "SMART objectives" in doc.body and "Stakeholders" in doc.body and "Success metrics" in doc.body
    slugs = {t["slug"] for t in selectors.template_catalog(project=project)}
    assert {
        "project-charter",
        "data-requirements",
        "model-card",
        "experiment-report",
        "deployment-spec",
        "post-incident-review",
    } <= slugs
    services.doc_template_create(project=project, name="Weekly review", body="## Wins\n\n## Risks\n")
    weekly = make_doc(project, author=writer, title="Week 12", template="weekly-review")
    assert weekly.body.startswith("## Wins")
    other = ProjectFactory()
    assert "weekly-review" not in {t["slug"] for t in selectors.template_catalog(project=other)}
    with pytest.raises(ValidationError):
        make_doc(other, author=writer, title="Nope", template="weekly-review")


def test_a_slug_taken_meanwhile_gets_the_next_free_one(project, writer, monkeypatch):
    make_doc(project, author=writer, title="Race")
    from docs_hub.services import docs as doc_services

    real = doc_services._unique_slug
    calls = []

    def stale_first(**kwargs):  # the first look-up misses the concurrent writer's "race"
        calls.append(kwargs)
        return "race" if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(doc_services, "_unique_slug", stale_first)
    doc = make_doc(project, author=writer, title="Race")
    assert doc.slug == "race-2" and Doc.objects.filter(project=project, title="Race").count() == 2


def test_a_ticket_named_before_it_exists_gets_the_backlink_when_created(project, writer):
    from projects import hooks

    future_key = f"{project.key}-1"
    doc = make_doc(project, author=writer, title="Plan", body=f"Next: {future_key}.")
    assert f'href="/projects/{project.key}/tickets/{future_key}/"' in doc.body_html
    ticket = TicketFactory(project=project, title="Created later")
    assert ticket.key == future_key
    assert [b["slug"] for b in hooks.backlinks_for([ticket.id])[ticket.id]] == ["plan"]
    assert [t["key"] for t in selectors.doc_backlinks(doc=doc)["tickets_mentioned"]] == [future_key]
    # The same key in another project's doc is not a backlink of this ticket.
    other = ProjectFactory()
    make_doc(other, author=writer, title="Elsewhere", body=f"{future_key}")
    assert [b["slug"] for b in hooks.backlinks_for([ticket.id])[ticket.id]] == ["plan"]


def test_flat_tree_closes_every_nested_list(project, writer):
    a = make_doc(project, author=writer, title="A")
    a1 = make_doc(project, author=writer, title="A1", parent=a)
    make_doc(project, author=writer, title="A1x", parent=a1)
    make_doc(project, author=writer, title="B")
    flat = selectors.flatten_tree(selectors.doc_tree(project=project))
    assert [(n.title, n.depth, len(n.closes), n.first, n.last) for n in flat] == [
        ("A", 0, 0, True, False),
        ("A1", 1, 0, True, True),
        ("A1x", 2, 2, True, True),
        ("B", 0, 0, False, True),
    ]
    assert flat[0].url == f"/projects/{project.key}/docs/a/"


def test_renaming_a_much_linked_page_rerenders_linkers_in_a_task(project, writer, django_capture_on_commit_callbacks):
    from docs_hub.services import docs as doc_services

    target = make_doc(project, author=writer, title="Glossary")
    linkers = [
        make_doc(project, author=writer, title=f"Note {n}", body="[[Glossary]]")
        for n in range(doc_services.INLINE_RERENDER_LIMIT + 2)
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.doc_update(doc=target, author=writer, title="Terms")
    linkers[0].refresh_from_db()
    assert "/docs/glossary/" in linkers[0].body_html  # not yet: the task runs after commit
    assert callbacks  # the re-render is queued after commit (beside any webhook delivery)
    for callback in callbacks:
        callback()  # Celery runs eagerly in unit tests
    for linker in linkers:
        linker.refresh_from_db()
        assert "/docs/terms/" in linker.body_html
    assert services.doc_rerender(doc_ids=[d.pk for d in linkers]) == len(linkers)  # a re-run is harmless

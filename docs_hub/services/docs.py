"""Writes for docs: every save is a revision; the link tables follow each save; renames
keep the old URL working; deletes go to a trash an admin restores from."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.text import slugify

from aihub.exceptions import StaleVersion
from aihub.limits import text_lengths_check
from projects.models import Project

from .. import macros, selectors
from ..models import RESERVED_SLUGS, Doc, DocLink, DocRevision, DocSlugAlias, DocTicketLink
from ..queue import enqueue_rerender_docs
from ..rendering import Rendered, render_doc

User = get_user_model()


def _unique_slug(*, project: Project, title: str, exclude_id: int | None = None) -> str:
    base = (slugify(title) or "page")[:200]
    if base in RESERVED_SLUGS:
        base = f"{base}-page"
    taken = set(
        Doc.objects.filter(project=project, slug__startswith=base).exclude(pk=exclude_id).values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": ["A page needs a title."]})
    if "[[" in title or "]]" in title or "|" in title:
        raise ValidationError({"title": ["A title may not contain [[, ]] or |."]})
    return title


def _check_parent(*, project: Project, doc: Doc | None, parent: Doc | None) -> None:
    if parent is None:
        return
    if parent.project_id != project.pk or parent.deleted_at is not None:
        raise ValidationError({"parent": ["The parent must be a live page of this project."]})
    if doc is not None and doc.pk and parent.pk in selectors.subtree_ids(doc=doc):
        raise ValidationError({"parent": ["A page cannot move under itself or one of its children."]})


def _apply_rendering(doc: Doc) -> Rendered:
    rendered = render_doc(project=doc.project, body=doc.body)
    doc.body_html, doc.toc_html, doc.macros = rendered.html, rendered.toc_html, rendered.macros
    return rendered


def _store_links(doc: Doc, rendered: Rendered) -> None:
    DocLink.objects.filter(source=doc).delete()
    DocLink.objects.bulk_create(
        DocLink(source=doc, target_id=target_id, target_text=text[:200])
        for text, target_id in rendered.doc_links.items()
    )
    DocTicketLink.objects.filter(doc=doc).exclude(ticket_key__in=rendered.ticket_keys).delete()
    existing = set(DocTicketLink.objects.filter(doc=doc).values_list("ticket_key", flat=True))
    DocTicketLink.objects.bulk_create(
        DocTicketLink(doc=doc, ticket_key=key) for key in sorted(rendered.ticket_keys - existing)
    )


def _record_revision(doc: Doc, *, author: User | None, message: str) -> DocRevision:
    values = macros.resolve(doc.project, doc.macros) if doc.macros else []
    revision = DocRevision(
        doc=doc,
        version=doc.version,
        title=doc.title,
        body=doc.body,
        body_html=doc.body_html,
        toc_html=doc.toc_html,
        macros=doc.macros,
        macro_values=values,
        message=(message or "").strip()[:300],
        author=author,
    )
    revision.full_clean(exclude=["doc"])
    revision.save()
    return revision


# Up to this many linking docs, holding this much text in all, are re-rendered in the
# request; beyond, a Celery task does it (a render costs up to ~200 ms at the size cap).
INLINE_RERENDER_LIMIT = 25
INLINE_RERENDER_CHARS = 20_000


def _refresh_linking_docs(*, project: Project, doc: Doc | None, texts: set[str], exclude_id: int | None) -> None:
    """Re-render docs whose `[[...]]` now resolves differently (a page was created, renamed,
    trashed or restored). Their text does not change, so no revision is written. Many of
    them (a much-linked page renamed) are left to a task, enqueued once this commits."""
    sources = list(
        selectors.linking_sources(project=project, doc=doc, texts=texts)
        .exclude(pk=exclude_id)
        .annotate(size=Length("body"))
        .values_list("pk", "size")
    )
    source_ids = [pk for pk, _ in sources]
    if len(source_ids) <= INLINE_RERENDER_LIMIT and sum(size or 0 for _, size in sources) <= INLINE_RERENDER_CHARS:
        doc_rerender(doc_ids=source_ids)
        return
    enqueue_rerender_docs(source_ids)


def doc_rerender(*, doc_ids: list[int], batch_size: int = 100) -> int:
    """Render docs again from their current text (links and macros placeholders), in
    batches. Safe to run twice: it writes what the text renders to."""
    done = 0
    for start in range(0, len(doc_ids), batch_size):
        with transaction.atomic():
            for source in Doc.objects.filter(
                pk__in=doc_ids[start : start + batch_size], deleted_at__isnull=True
            ).select_related("project"):
                rendered = _apply_rendering(source)
                Doc.objects.filter(pk=source.pk).update(
                    body_html=source.body_html, toc_html=source.toc_html, macros=source.macros
                )
                _store_links(source, rendered)
                done += 1
    return done


def _save_with_free_slug(doc: Doc) -> None:
    """Save; if a concurrent writer took the slug meanwhile (unique constraint), take the
    next free one instead of failing."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                doc.save()
            return
        except IntegrityError:
            if attempt == 2:
                raise
            doc.slug = _unique_slug(
                project=doc.project, title=doc.title, exclude_id=None if doc._state.adding else doc.pk
            )


def _next_position(project: Project, parent: Doc | None) -> int:
    top = Doc.objects.filter(project=project, parent=parent, deleted_at__isnull=True).aggregate(m=Max("position"))
    return (top["m"] if top["m"] is not None else -1) + 1


@transaction.atomic
def doc_create(
    *,
    project: Project,
    author: User | None,
    title: str,
    body: str = "",
    parent: Doc | None = None,
    template: str | None = None,
    message: str = "",
) -> Doc:
    """Create a page (from a template when named and the body is empty): version 1."""
    title = _clean_title(title)
    text_lengths_check("docs_hub.Doc", body=body)
    _check_parent(project=project, doc=None, parent=parent)
    if template:
        found = selectors.template_get(project=project, slug=template)
        if found is None:
            raise ValidationError({"template": [f"No template “{template}” in this project."]})
        if not (body or "").strip():
            body = found["body"]
            text_lengths_check("docs_hub.Doc", body=body)
    doc = Doc(
        project=project,
        parent=parent,
        title=title,
        body=body or "",
        created_by=author,
        updated_by=author,
        slug=_unique_slug(project=project, title=title),
        position=_next_position(project, parent),
        version=1,
    )
    rendered = _apply_rendering(doc)
    doc.full_clean(validate_constraints=False)  # the slug's uniqueness is settled by _save_with_free_slug
    _save_with_free_slug(doc)
    DocSlugAlias.objects.filter(project=project, slug=doc.slug).delete()
    _store_links(doc, rendered)
    _record_revision(doc, author=author, message=message or "Created")
    _refresh_linking_docs(project=project, doc=None, texts={title, doc.slug}, exclude_id=doc.pk)
    return doc


@transaction.atomic
def doc_update(
    *,
    doc: Doc,
    author: User | None,
    title: str | None = None,
    body: str | None = None,
    message: str = "",
    version: int | None = None,
) -> Doc:
    """Save a new revision. `version` is the one the writer started from: if someone saved
    since, nothing changes and StaleVersion carries the current doc."""
    current = Doc.objects.select_for_update().select_related("project").get(pk=doc.pk)
    if current.deleted_at is not None:
        raise ValidationError("This page is in the trash.")
    if version is not None and int(version) != current.version:
        raise StaleVersion(current)
    new_title = current.title if title is None else _clean_title(title)
    new_body = current.body if body is None else body
    text_lengths_check("docs_hub.Doc", body=new_body)
    if new_title == current.title and new_body == current.body:
        return current
    old_title, old_slug, old_body = current.title, current.slug, current.body
    current.title, current.body, current.updated_by = new_title, new_body, author
    renamed = new_title != old_title
    if renamed:
        new_slug = _unique_slug(project=current.project, title=new_title, exclude_id=current.pk)
        if new_slug != old_slug:
            DocSlugAlias.objects.update_or_create(
                project=current.project, slug=old_slug, defaults={"doc": current, "title": old_title}
            )
            DocSlugAlias.objects.filter(project=current.project, slug=new_slug).delete()
            current.slug = new_slug
    current.version += 1
    rendered = _apply_rendering(current)
    current.full_clean(validate_constraints=False)
    _save_with_free_slug(current)
    _store_links(current, rendered)
    _record_revision(current, author=author, message=message or ("Renamed" if renamed and new_body == old_body else ""))
    if renamed:
        _refresh_linking_docs(
            project=current.project, doc=current, texts={new_title, current.slug}, exclude_id=current.pk
        )
    return current


@transaction.atomic
def doc_revision_restore(*, doc: Doc, version: int, author: User | None, expected_version: int | None = None) -> Doc:
    """Bring back an old revision's title and text as a new revision (history is kept)."""
    revision = doc.revisions.filter(version=version).first()
    if revision is None:
        raise ValidationError({"version": [f"This page has no version {version}."]})
    return doc_update(
        doc=doc,
        author=author,
        title=revision.title,
        body=revision.body,
        message=f"Restored version {version}",
        version=expected_version,
    )


@transaction.atomic
def doc_move(*, doc: Doc, parent: Doc | None, position: int | None = None) -> Doc:
    """Put a page under `parent` (None: top level) at `position` among its siblings
    (None: last). Siblings are renumbered 0..n in one pass."""
    doc = Doc.objects.select_for_update().select_related("project").get(pk=doc.pk)
    _check_parent(project=doc.project, doc=doc, parent=parent)
    siblings = list(
        Doc.objects.filter(project=doc.project, parent=parent, deleted_at__isnull=True)
        .exclude(pk=doc.pk)
        .order_by("position", "title", "id")
    )
    position = len(siblings) if position is None else max(0, min(int(position), len(siblings)))
    siblings.insert(position, doc)
    doc.parent = parent
    for index, sibling in enumerate(siblings):
        sibling.position = index
    Doc.objects.bulk_update(siblings, ["position"])
    Doc.objects.filter(pk=doc.pk).update(parent=parent, position=position)
    doc.position = position
    return doc


def doc_shift(*, doc: Doc, offset: int) -> Doc:
    """Move a page up (-1) or down (+1) among its siblings."""
    return doc_move(doc=doc, parent=doc.parent, position=max(0, doc.position + offset))


@transaction.atomic
def doc_trash(*, doc: Doc, user: User | None) -> list[int]:
    """Move a page and its subtree to the trash (one timestamp marks the batch)."""
    ids = selectors.subtree_ids(doc=doc)
    now = timezone.now()
    Doc.objects.filter(pk__in=ids).update(deleted_at=now, deleted_by=user)
    DocLink.objects.filter(target_id__in=ids).update(target=None)
    _refresh_linking_docs(project=doc.project, doc=None, texts={doc.title, doc.slug}, exclude_id=None)
    return ids


@transaction.atomic
def doc_restore(*, doc: Doc, user: User | None) -> Doc:
    """Take a page (and what was trashed with it) out of the trash. A page whose parent is
    still in the trash comes back at the top level."""
    doc = Doc.objects.select_for_update(of=("self",)).select_related("project", "parent").get(pk=doc.pk)
    if doc.deleted_at is None:
        return doc
    batch = Doc.objects.filter(project=doc.project, deleted_at=doc.deleted_at)
    ids = set(batch.values_list("id", flat=True))
    Doc.objects.filter(pk__in=ids).update(deleted_at=None, deleted_by=None)
    if doc.parent_id and (doc.parent is None or doc.parent.deleted_at is not None) and doc.parent_id not in ids:
        Doc.objects.filter(pk=doc.pk).update(parent=None, position=_next_position(doc.project, None))
    doc.refresh_from_db()
    restored = Doc.objects.filter(pk__in=ids).values_list("title", "slug")
    texts = {text for pair in restored for text in pair}
    _refresh_linking_docs(project=doc.project, doc=None, texts=texts, exclude_id=None)
    return doc


@transaction.atomic
def doc_purge(*, doc: Doc) -> None:
    """Delete a trashed page for good (with its revisions, links and attachments' files)."""
    if doc.deleted_at is None:
        raise ValidationError("Only a page in the trash can be deleted for good.")
    files = [attachment.file for attachment in doc.attachments.all()]
    Doc.objects.filter(parent=doc).update(parent=None)
    doc.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])

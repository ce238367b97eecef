"""Writing a planned Markdown zip (markdown_zip.py) into a project's docs, under a chosen
page or at the top: one transaction, so an import lands whole or not at all.

A page is matched by the path it came from in the zip and the page it sits under, so
importing the same zip again under the same parent updates its pages (a new revision only
where the title or text changed) and reuses identical attachments instead of duplicating."""

import hashlib
import posixpath
from collections import Counter
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.text import get_valid_filename

from aihub.limits import text_lengths_check
from projects.models import Project

from .. import selectors
from ..models import Doc, DocAttachment
from ..queue import enqueue_rerender_docs
from .attachments import attachment_add
from .docs import (
    INLINE_RERENDER_LIMIT,
    _apply_rendering,
    _check_parent,
    _next_position,
    _record_revision,
    _save_with_free_slug,
    _store_links,
    _unique_slug,
    doc_rerender,
    doc_update,
)
from .markdown_zip import REF, Plan, PlannedPage

User = get_user_model()
RESULT_PAGES_CAP = 500
IMPORT_PATH_MAX = Doc._meta.get_field("import_path").max_length  # pages listed one by one in an import's outcome


def path_key(path: str) -> str:
    """What Doc.import_path keeps of a path in the zip: the path, or for one longer than the
    field its start and a digest of the whole (still one key per path)."""
    if len(path) <= IMPORT_PATH_MAX:
        return path
    return f"{path[: IMPORT_PATH_MAX - 41]}#{hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()}"


def _match_existing(*, project: Project, parent: Doc | None, plan: Plan) -> dict[str, Doc]:
    """Live pages an earlier import of these paths made under the same parent (one query)."""
    keys = [path_key(path) for path in plan.pages]
    found = Doc.objects.filter(project=project, deleted_at__isnull=True, import_path__in=keys).only(
        "id", "parent_id", "import_path", "title", "slug", "body", "version", "project_id"
    )
    by_key = {(doc.parent_id, doc.import_path): doc for doc in found}
    matched: dict[str, Doc] = {}
    for path, page in plan.pages.items():  # a parent comes before its children
        if page.parent is None:
            parent_id = parent.pk if parent is not None else None
        else:
            parent_id = getattr(matched.get(page.parent), "pk", 0)  # 0: the parent is new, so is this
        doc = by_key.get((parent_id, path_key(path)))
        if doc is not None:
            matched[path] = doc
    return matched


def _link(target: str, label: str) -> str:
    return f"[[{target}]]" if not label or label == target else f"[[{target}|{label}]]"


def _materialize(body: str, plan: Plan, page_target: Callable[[str], str], file_url: Callable[[str], str]) -> str:
    def replace(match) -> str:
        index = int(match.group("index"))
        if match.group("kind") == "P":
            return _link(page_target(plan.page_refs[index]), match.group("label") or "")
        return file_url(plan.file_refs[index])

    return REF.sub(replace, body)


def _tree(plan: Plan, action: Callable[[PlannedPage], str]) -> list[dict]:
    def node(path: str) -> dict:
        page = plan.pages[path]
        return {
            "path": path,
            "title": page.title,
            "action": action(page),
            "attachments": len(plan.attachments_of(page)),
            "children": [node(child) for child in page.children],
        }

    return [node(root) for root in plan.roots]


def markdown_import_preview(*, project: Project, parent: Doc | None, plan: Plan) -> dict:
    """What importing the plan under `parent` would do; nothing is written."""
    _check_parent(project=project, doc=None, parent=parent)
    matched = _match_existing(project=project, parent=parent, plan=plan)
    sample = {}
    for path, page in plan.pages.items():
        if page.source is not None and REF.search(page.body) and len(sample) < 3:
            sample[path] = _materialize(
                page.body,
                plan,
                lambda target: plan.pages[target].title,
                lambda file: f"attachment:{posixpath.basename(file)}",
            )
    return {
        "pages": len(plan.pages),
        "create": len(plan.pages) - len(matched),
        "update": len(matched),
        "attachments": plan.attachment_count,
        "links_rewritten": plan.links_rewritten,
        "missing_links": plan.missing_links,
        "warnings": plan.warnings,
        "tree": _tree(plan, lambda page: "update" if page.path in matched else "create"),
        "sample": [{"path": path, "body": body} for path, body in sample.items()],
    }


def _same_file(attachment: DocAttachment, data: bytes) -> bool:
    if attachment.size != len(data):
        return False
    try:
        with attachment.file.open("rb") as handle:
            return handle.read() == data
    except FileNotFoundError:
        return False


def markdown_import_apply(
    *,
    project: Project,
    parent: Doc | None,
    plan: Plan,
    user: User | None,
    source_name: str = "",
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Create or update the plan's pages under `parent` (None: the top level), all in one
    transaction. Returns the outcome: counts, the top pages, each page's action, missing
    links and warnings. If it fails, the attachment files it stored are removed as well."""
    stored: list = []
    try:
        return _apply(
            project=project,
            parent=parent,
            plan=plan,
            user=user,
            source_name=source_name,
            progress=progress,
            stored=stored,
        )
    except BaseException:
        for file in stored:
            file.delete(save=False)
        raise


@transaction.atomic
def _apply(
    *,
    project: Project,
    parent: Doc | None,
    plan: Plan,
    user: User | None,
    source_name: str,
    progress: Callable[[int], None] | None,
    stored: list,
) -> dict:
    _check_parent(project=project, doc=None, parent=parent)
    for page in plan.pages.values():
        text_lengths_check("docs_hub.Doc", body=page.body)
    matched = _match_existing(project=project, parent=parent, plan=plan)
    message = f"Imported from {source_name}"[:300] if source_name else "Imported from a Markdown zip"
    docs: dict[str, Doc] = {}
    created: set[str] = set()
    # 1. Every page gets its row (new ones with an empty body for now): links need them all.
    for path, page in plan.pages.items():
        doc = matched.get(path)
        if doc is None:
            parent_doc = parent if page.parent is None else docs[page.parent]
            doc = Doc(
                project=project,
                parent=parent_doc,
                title=page.title,
                slug=_unique_slug(project=project, title=page.title),
                position=_next_position(project, parent_doc),
                import_path=path_key(path),
                created_by=user,
                updated_by=user,
                version=1,
            )
            doc.full_clean(validate_constraints=False)
            _save_with_free_slug(doc)
            created.add(path)
        doc.project = project
        docs[path] = doc
    # 2. A link names the page by title where that title is the project's only one, else by slug.
    ours = {doc.pk for doc in docs.values()}
    titles = Counter(
        title
        for pk, title in Doc.objects.filter(project=project, deleted_at__isnull=True)
        .annotate(lower=Lower("title"))
        .values_list("pk", "lower")
        if pk not in ours
    )
    titles.update(page.title.lower() for page in plan.pages.values())

    def page_target(path: str) -> str:
        title = plan.pages[path].title
        return title if titles[title.lower()] == 1 else docs[path].slug

    # 3. Attachments, then each page's text: one revision for a new page, a new one for a
    # matched page only when its title or text changed.
    outcome = {"created": 0, "updated": 0, "unchanged": 0, "attachments": 0, "attachments_reused": 0}
    existing_files: dict[int, list[DocAttachment]] = {}
    for attachment in DocAttachment.objects.filter(doc_id__in=[docs[p].pk for p in matched]):
        existing_files.setdefault(attachment.doc_id, []).append(attachment)
    actions: dict[str, str] = {}
    for number, (path, page) in enumerate(plan.pages.items(), start=1):
        doc = docs[path]
        urls: dict[str, str] = {}
        for file_path in plan.attachments_of(page):
            data = plan.files[file_path]
            name = (get_valid_filename(posixpath.basename(file_path)) or "file")[:200]
            attachment = next(
                (a for a in existing_files.get(doc.pk, []) if a.name == name and _same_file(a, data)), None
            )
            if attachment is None:
                upload = SimpleUploadedFile(name, data, content_type=plan.file_types.get(file_path, ""))
                try:
                    attachment = attachment_add(doc=doc, uploaded_file=upload, user=user)
                    stored.append(attachment.file)
                except ValidationError as error:
                    plan.warnings.append(f"“{file_path}” was not attached: {' '.join(error.messages)}")
                    urls[file_path] = "#"
                    continue
                outcome["attachments"] += 1
            else:
                outcome["attachments_reused"] += 1
            urls[file_path] = reverse(
                "docs_hub:attachment",
                kwargs={"key": project.key, "attachment_id": attachment.pk, "filename": attachment.name},
            )
        body = _materialize(page.body, plan, page_target, lambda file, urls=urls: urls[file])
        if path in created:
            doc.body = body
            text_lengths_check("docs_hub.Doc", body=body)
            rendered = _apply_rendering(doc)
            doc.save(update_fields=["body", "body_html", "toc_html", "macros"])
            _store_links(doc, rendered)
            _record_revision(doc, author=user, message=message)
            actions[path] = "created"
        else:
            before = doc.version
            # A folder's own page made by an import keeps whatever was written into it since.
            doc = doc_update(
                doc=doc, author=user, title=page.title, body=body if page.source else None, message=message
            )
            docs[path] = doc
            actions[path] = "updated" if doc.version != before else "unchanged"
        outcome[actions[path]] += 1
        if progress is not None:
            progress(number)
    # 4. Pages elsewhere whose [[...]] named a page that now exists.
    texts = {doc.title for doc in docs.values()} | {doc.slug for doc in docs.values()}
    others = list(
        selectors.linking_sources(project=project, doc=None, texts=texts)
        .exclude(pk__in=ours)
        .values_list("pk", flat=True)
    )
    if len(others) <= INLINE_RERENDER_LIMIT:
        doc_rerender(doc_ids=others)
    else:
        enqueue_rerender_docs(others)
    listed = list(plan.pages.items())[:RESULT_PAGES_CAP]
    return {
        **outcome,
        "pages": len(plan.pages),
        "links_rewritten": plan.links_rewritten,
        "parent": {"id": parent.pk, "slug": parent.slug, "title": parent.title} if parent else None,
        "roots": [{"id": docs[p].pk, "slug": docs[p].slug, "title": docs[p].title} for p in plan.roots],
        "items": [
            {"path": path, "id": docs[path].pk, "slug": docs[path].slug, "title": page.title, "action": actions[path]}
            for path, page in listed
        ],
        "missing_links": plan.missing_links,
        "warnings": plan.warnings,
    }

"""A page as Markdown, or a tree of pages as a zip whose folders follow the tree:
`slug.md` for a page, and a folder `slug/` beside it holding its children. Files attached
to the exported pages go in `_attachments/`, and links to them become relative paths."""

import io
import re
import zipfile

from projects.models import Project

from .models import Doc, DocAttachment

ATTACHMENTS_DIR = "_attachments"


def doc_markdown(doc: Doc) -> str:
    body = doc.body if doc.body.endswith("\n") else doc.body + "\n"
    return f"# {doc.title}\n\n{body}"


def _attachment_file_name(attachment: DocAttachment) -> str:
    return f"{attachment.pk}-{attachment.name}"


def tree_zip(*, project: Project, root: Doc | None) -> bytes:
    """Every live doc of the project in one query, the subtree built in memory, the
    exported pages' attachments in one more."""
    docs = list(
        Doc.objects.filter(project=project, deleted_at__isnull=True)
        .only("id", "parent_id", "title", "slug", "body", "position")
        .order_by("position", "title", "id")
    )
    children: dict[int | None, list[Doc]] = {}
    by_id = {doc.id: doc for doc in docs}
    for doc in docs:
        parent_id = doc.parent_id if doc.parent_id in by_id else None
        children.setdefault(parent_id, []).append(doc)
    placed: list[tuple[Doc, str]] = []

    def place(doc: Doc, folder: str) -> None:
        placed.append((doc, folder))
        for child in children.get(doc.id, []):
            place(child, f"{folder}{doc.slug}/")

    for top in [by_id[root.id]] if root is not None else children.get(None, []):
        place(top, "")
    attachments = {a.pk: a for a in DocAttachment.objects.filter(doc_id__in=[doc.id for doc, _ in placed])}
    link = re.compile(rf"/projects/{re.escape(project.key)}/docs/attachments/(\d+)/[^)\s\"']*")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for doc, folder in placed:
            up = "../" * folder.count("/")

            def relative(match: re.Match, up: str = up) -> str:
                attachment = attachments.get(int(match.group(1)))
                if attachment is None:
                    return match.group(0)
                return f"{up}{ATTACHMENTS_DIR}/{_attachment_file_name(attachment)}"

            archive.writestr(f"{folder}{doc.slug}.md", link.sub(relative, doc_markdown(doc)))
        for attachment in attachments.values():
            try:
                with attachment.file.open("rb") as handle:
                    archive.writestr(f"{ATTACHMENTS_DIR}/{_attachment_file_name(attachment)}", handle.read())
            except FileNotFoundError:
                continue
    return buffer.getvalue()

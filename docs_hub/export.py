"""A page as Markdown, or a tree of pages as a zip whose folders follow the tree:
`slug.md` for a page, and a folder `slug/` beside it holding its children."""
import io
import zipfile

from projects.models import Project

from .models import Doc


def doc_markdown(doc: Doc) -> str:
    body = doc.body if doc.body.endswith("\n") else doc.body + "\n"
    return f"# {doc.title}\n\n{body}"


def tree_zip(*, project: Project, root: Doc | None) -> bytes:
    """Two queries' worth of rows: every live doc of the project, then the subtree in memory."""
    docs = list(Doc.objects.filter(project=project, deleted_at__isnull=True)
                .only("id", "parent_id", "title", "slug", "body", "position").order_by("position", "title", "id"))
    children: dict[int | None, list[Doc]] = {}
    by_id = {doc.id: doc for doc in docs}
    for doc in docs:
        parent_id = doc.parent_id if doc.parent_id in by_id else None
        children.setdefault(parent_id, []).append(doc)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(doc: Doc, folder: str) -> None:
            archive.writestr(f"{folder}{doc.slug}.md", doc_markdown(doc))
            for child in children.get(doc.id, []):
                add(child, f"{folder}{doc.slug}/")

        for top in ([by_id[root.id]] if root is not None else children.get(None, [])):
            add(top, "")
    return buffer.getvalue()

"""Reads of docs: lists, the tree, a doc by its slug, its current HTML, the trash, counts."""
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from projects.models import Project

from .. import macros
from ..links import doc_url
from ..models import Doc, DocSlugAlias


@dataclass
class TreeNode:
    id: int
    title: str
    slug: str
    position: int
    parent_id: int | None
    children: list["TreeNode"] = field(default_factory=list)
    depth: int = 0
    first: bool = False  # first / last among its siblings (no "up" / "down" arrow)
    last: bool = False
    closes: range = range(0)  # nested lists that end after this node, when rendered flat
    url: str = ""


def doc_list(*, project: Project) -> QuerySet[Doc]:
    """Live docs of a project, for lists and the API (parent slug included)."""
    return (Doc.objects.filter(project=project, deleted_at__isnull=True)
            .select_related("parent", "updated_by").order_by("parent_id", "position", "title", "id"))


def doc_tree(*, project: Project) -> list[TreeNode]:
    """The whole live tree in one query: roots in order, each with its children."""
    rows = (Doc.objects.filter(project=project, deleted_at__isnull=True)
            .order_by("position", "title", "id").values_list("id", "title", "slug", "position", "parent_id"))
    base = doc_url(project.key, "-")[:-2]  # reversed once, not per node
    nodes = {row[0]: TreeNode(*row, url=f"{base}{row[2]}/") for row in rows}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id)
        (parent.children if parent else roots).append(node)

    def set_depth(items, depth):
        for item in items:
            item.depth = depth
            set_depth(item.children, depth + 1)

    set_depth(roots, 0)
    return roots


def flatten_tree(roots: list[TreeNode]) -> list[TreeNode]:
    """The tree in reading order, each node knowing how many nested lists end after it,
    so a template renders nested <ul>s in one loop (no recursive includes)."""
    out: list[TreeNode] = []

    def walk(items):
        for index, item in enumerate(items):
            item.first, item.last = index == 0, index == len(items) - 1
            out.append(item)
            walk(item.children)

    walk(roots)
    for node, following in zip(out, [*out[1:], None], strict=True):
        if not node.children:
            node.closes = range(node.depth - (following.depth if following else 0))
    return out


def subtree_ids(*, doc: Doc) -> list[int]:
    """The doc and every live descendant (one query for the project's parent links)."""
    pairs = Doc.objects.filter(project_id=doc.project_id, deleted_at__isnull=True).values_list("id", "parent_id")
    children: dict[int, list[int]] = {}
    for doc_id, parent_id in pairs:
        children.setdefault(parent_id, []).append(doc_id)
    out, stack = [], [doc.id]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, []))
    return out


def doc_by_slug(*, project: Project, slug: str) -> tuple[Doc | None, str | None]:
    """(live doc, None) for its slug; (None, current slug) for an old slug of a renamed doc."""
    doc = (Doc.objects.filter(project=project, slug=slug, deleted_at__isnull=True)
           .select_related("parent", "updated_by", "created_by").first())
    if doc is not None:
        return doc, None
    alias = DocSlugAlias.objects.filter(project=project, slug=slug, doc__deleted_at__isnull=True) \
        .select_related("doc").first()
    return None, (alias.doc.slug if alias else None)


def doc_current_html(*, doc: Doc) -> str:
    """The body as the page shows it now: macros with their current values."""
    if not doc.macros:
        return macros.fill(doc.body_html, [], [])
    return macros.fill(doc.body_html, doc.macros, macros.resolve(doc.project, doc.macros))


def docs_current_html(*, project: Project, docs: list[Doc]) -> dict[int, str]:
    """Current HTML of many docs of one project: one resolver call per macro kind."""
    values = macros.resolve_many(project, [doc.macros or [] for doc in docs])
    return {doc.id: macros.fill(doc.body_html, doc.macros or [], vals) for doc, vals in zip(docs, values, strict=True)}


def trash_list(*, project: Project) -> QuerySet[Doc]:
    return (Doc.objects.filter(project=project, deleted_at__isnull=False).select_related("deleted_by", "parent")
            .order_by("-deleted_at", "title"))


def recent_docs(*, project: Project, limit: int = 8) -> list[Doc]:
    return list(Doc.objects.filter(project=project, deleted_at__isnull=True).select_related("updated_by")
                .order_by("-updated_at").only("title", "slug", "updated_at", "updated_by__username",
                                              "updated_by__display_name")[:limit])


def doc_counts(*, project: Project) -> dict:
    return Doc.objects.filter(project=project).aggregate(
        live=Count("id", filter=Q(deleted_at__isnull=True)), trashed=Count("id", filter=Q(deleted_at__isnull=False))
    )

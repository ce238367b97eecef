"""Reads of docs: lists, the tree, a doc by its slug, its current HTML, the trash, counts."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from projects.models import Project

from .. import macros
from ..links import doc_url
from ..models import Doc, DocAttachment, DocSlugAlias


@dataclass(slots=True)
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
    return (
        Doc.objects.filter(project=project, deleted_at__isnull=True)
        .select_related("parent", "updated_by")
        .order_by("parent_id", "position", "title", "id")
    )


def doc_tree(*, project: Project) -> list[TreeNode]:
    """The whole live tree in one query: roots in order, each with its children."""
    rows = (
        Doc.objects.filter(project=project, deleted_at__isnull=True)
        .order_by("position", "title", "id")
        .values_list("id", "title", "slug", "position", "parent_id")
    )
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
    for node, following in zip(out, [*out[1:], None], strict=False):  # None after the last (none when empty)
        if not node.children:
            node.closes = range(node.depth - (following.depth if following else 0))
    return out


TREE_CAP = 100  # children shown per parent before a "Show N more" link
TREE_BUDGET = 150  # rows a tree renders before deeper levels stay collapsed (loaded on demand)


@dataclass(slots=True)
class TreeRow:
    """One line of the rendered tree: a page (`node`), or a "Show N more" link in a list of
    siblings (`more` pages hidden, loaded from `start` up to `stop`, None for the end). `opens`
    says its children follow (a nested list); `closes` how many nested lists end after it;
    `collapsed` how many children load on demand behind its toggle."""

    depth: int
    node: TreeNode | None = None
    opens: bool = False
    collapsed: int = 0
    more: int = 0
    start: int = 0
    stop: int | None = None
    parent_slug: str = ""
    closes: range = range(0)

    @property
    def more_query(self) -> str:
        """The query of the "Show N more" link (urlencoded, slugs only hold safe characters)."""
        query = f"under={self.parent_slug}&from={self.start}" if self.parent_slug else f"from={self.start}"
        return f"{query}&to={self.stop}" if self.stop is not None else query


def tree_rows(
    roots: list[TreeNode],
    *,
    keep_open: set[int] = frozenset(),
    shown: dict[int | None, int] | None = None,
    start: int = 0,
    stop: int | None = None,
    cap: int = TREE_CAP,
    budget: int = TREE_BUDGET,
    parent: TreeNode | None = None,
) -> list[TreeRow]:
    """A bounded rendering of a tree (the whole of it from doc_tree, or pages `start` to `stop`
    of one list): each list of siblings shows at most `cap` pages (or as many as
    `shown[parent id]` asks), then a "Show N more" row; levels open breadth first while the rows
    stay within `budget`, deeper pages show a toggle that loads their children. The pages in
    `keep_open` (the current page and its ancestors) are always shown and open: one past the
    cap is shown after a "Show N more" row for the pages between."""
    shown = shown or {}

    def visible(items: list[TreeNode], owner: TreeNode | None, first: int = 0, last: int | None = None) -> list:
        """The pages of a list in view, with (start, stop) gaps where a "more" row goes."""
        last = len(items) if last is None else min(last, len(items))
        end = min(max(first + cap, shown.get(owner.id if owner else None, 0)), last)
        out: list = items[first:end]
        for index in range(end, last):
            if items[index].id in keep_open:
                if index > end:
                    out.append((end, index))
                out.append(items[index])
                end = index + 1
        if end < last:
            out.append((end, last if last < len(items) else None))
        return out

    for index, item in enumerate(roots):
        item.first, item.last = index == 0, index == len(roots) - 1
    top = visible(roots, parent, start, stop)
    opened: set[int] = set()
    level = [item for item in top if isinstance(item, TreeNode)]
    total = len(level)
    while level:
        following = [
            child
            for node in level
            if node.children
            for child in visible(node.children, node)
            if isinstance(child, TreeNode)
        ]
        if total + len(following) > budget:
            break
        opened.update(node.id for node in level if node.children)
        total += len(following)
        level = following
    opened.update(keep_open)

    rows: list[TreeRow] = []

    def walk(items: list, depth: int, owner: TreeNode | None) -> None:
        for item in items:
            if not isinstance(item, TreeNode):
                gap_start, gap_stop = item
                rows.append(
                    TreeRow(
                        depth,
                        more=(gap_stop or total_of(owner)) - gap_start,
                        start=gap_start,
                        stop=gap_stop,
                        parent_slug=owner.slug if owner else "",
                    )
                )
                continue
            siblings = item.children
            is_open = bool(siblings) and item.id in opened
            rows.append(TreeRow(depth, item, opens=is_open, collapsed=0 if is_open else len(siblings)))
            if is_open:
                for index, child in enumerate(siblings):
                    child.first, child.last = index == 0, index == len(siblings) - 1
                walk(visible(siblings, item), depth + 1, item)

    def total_of(owner: TreeNode | None) -> int:
        return len(owner.children) if owner is not None else len(roots)

    walk(top, 0, parent)
    for row, after in zip(rows, [*rows[1:], None], strict=False):  # None after the last (none when empty)
        if not row.opens:
            row.closes = range(row.depth - (after.depth if after else 0))
    return rows


def tree_ancestors(roots: list[TreeNode], doc_id: int | None) -> list[TreeNode]:
    """The node of `doc_id` and its ancestors (nearest first), found in a doc_tree."""
    index: dict[int, TreeNode] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        index[node.id] = node
        stack.extend(node.children)
    out, node = [], index.get(doc_id)
    while node is not None:
        out.append(node)
        node = index.get(node.parent_id)
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
    doc = (
        Doc.objects.filter(project=project, slug=slug, deleted_at__isnull=True)
        .select_related("parent", "updated_by", "created_by")
        .first()
    )
    if doc is not None:
        return doc, None
    alias = (
        DocSlugAlias.objects.filter(project=project, slug=slug, doc__deleted_at__isnull=True)
        .select_related("doc")
        .first()
    )
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
    return (
        Doc.objects.filter(project=project, deleted_at__isnull=False)
        .select_related("deleted_by", "parent")
        .order_by("-deleted_at", "title")
    )


def recent_docs(*, project: Project, limit: int = 8) -> list[Doc]:
    return list(
        Doc.objects.filter(project=project, deleted_at__isnull=True)
        .select_related("updated_by")
        .order_by("-updated_at")
        .only("title", "slug", "updated_at", "updated_by__username", "updated_by__display_name")[:limit]
    )


def doc_counts(*, project: Project) -> dict:
    return Doc.objects.filter(project=project).aggregate(
        live=Count("id", filter=Q(deleted_at__isnull=True)), trashed=Count("id", filter=Q(deleted_at__isnull=False))
    )


def doc_attachments(*, doc: Doc) -> QuerySet[DocAttachment]:
    """A page's files, newest first, with who uploaded them (one query)."""
    return DocAttachment.objects.filter(doc=doc).select_related("uploaded_by").order_by("-created_at", "-id")

"""Reads for docs. Each function costs a fixed number of queries, whatever the number of
docs, links or revisions."""
import difflib
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from projects.models import Project, Ticket

from . import macros
from .builtin_templates import BUILTIN_TEMPLATES
from .links import doc_url, ticket_url
from .models import Doc, DocLink, DocRevision, DocSlugAlias, DocTemplate, DocTicketLink


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


def revision_html(*, revision: DocRevision) -> str:
    """A revision as the team saw it when it was saved (frozen macro values)."""
    return macros.fill(revision.body_html, revision.macros, revision.macro_values)


def doc_backlinks(*, doc: Doc) -> dict:
    """Docs linking here, tickets whose description names this doc, tickets this doc names."""
    linking_docs = list(
        Doc.objects.filter(outgoing_links__target=doc, deleted_at__isnull=True).exclude(pk=doc.pk)
        .distinct().only("title", "slug").order_by("title")
    )
    needles = [f"[[{doc.title}]]", f"[[{doc.slug}]]"]
    mention = Q()
    for needle in needles:
        mention |= Q(description__icontains=needle)
    mentioning_tickets = list(
        Ticket.objects.filter(mention, project_id=doc.project_id).only("key", "title").order_by("number")[:50]
    )
    mentioned_tickets = list(
        Ticket.objects.filter(project_id=doc.project_id, key__in=doc.ticket_links.values("ticket_key"))
        .select_related("status").only("key", "title", "status__name",
                                                                                 "status__is_finished")
        .order_by("number")
    )
    key = doc.project.key
    return {
        "docs": [{"title": d.title, "slug": d.slug, "url": doc_url(key, d.slug)} for d in linking_docs],
        "tickets_mentioning": [{"key": t.key, "title": t.title, "url": ticket_url(key, t.key)}
                               for t in mentioning_tickets],
        "tickets_mentioned": [{"key": t.key, "title": t.title, "status": t.status.name,
                               "url": ticket_url(key, t.key)} for t in mentioned_tickets],
    }


def doc_outgoing_links(*, doc: Doc) -> list[DocLink]:
    return list(doc.outgoing_links.select_related("target").order_by("target_text"))


def doc_revisions(*, doc: Doc) -> QuerySet[DocRevision]:
    return doc.revisions.select_related("author").order_by("-version")


def revision_get(*, doc: Doc, version: int) -> DocRevision | None:
    return doc.revisions.select_related("author").filter(version=version).first()


@dataclass
class DiffLine:
    kind: str  # "same", "add", "del", "skip"
    old_no: int | None
    new_no: int | None
    text: str


def revision_diff(*, old: DocRevision, new: DocRevision, context: int = 3) -> list[DiffLine]:
    """A line diff of two revisions' Markdown (title change shown as the first line)."""
    old_lines = [f"# {old.title}", *old.body.splitlines()]
    new_lines = [f"# {new.title}", *new.body.splitlines()]
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    lines: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("skip", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i1 + k + 1, j1 + k + 1, old_lines[i1 + k]) for k in range(i2 - i1)]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("del", i1 + k + 1, None, old_lines[i1 + k]) for k in range(i2 - i1)]
            if tag in ("replace", "insert"):
                lines += [DiffLine("add", None, j1 + k + 1, new_lines[j1 + k]) for k in range(j2 - j1)]
    return lines


def template_catalog(*, project: Project) -> list[dict]:
    """Built-in templates, then the project's own (which replace a built-in of the same slug)."""
    own = list(DocTemplate.objects.filter(project=project).order_by("name"))
    own_slugs = {t.slug for t in own}
    catalog = [{"slug": t.slug, "name": t.name, "description": t.description, "body": t.body, "builtin": True}
               for t in BUILTIN_TEMPLATES if t.slug not in own_slugs]
    catalog += [{"slug": t.slug, "name": t.name, "description": t.description, "body": t.body, "builtin": False,
                 "id": t.id} for t in own]
    return catalog


def template_get(*, project: Project, slug: str) -> dict | None:
    return next((t for t in template_catalog(project=project) if t["slug"] == slug), None)


def trash_list(*, project: Project) -> QuerySet[Doc]:
    return (Doc.objects.filter(project=project, deleted_at__isnull=False).select_related("deleted_by", "parent")
            .order_by("-deleted_at", "title"))


def recent_docs(*, project: Project, limit: int = 8) -> list[Doc]:
    return list(Doc.objects.filter(project=project, deleted_at__isnull=True).select_related("updated_by")
                .order_by("-updated_at").only("title", "slug", "updated_at", "updated_by__username",
                                              "updated_by__display_name")[:limit])


def doc_backlinks_for_tickets(ticket_ids) -> dict:
    """The backlink provider for projects: ticket id -> live docs of the ticket's project
    that mention it. One query, whatever the number of tickets: the links are matched to
    the tickets (same key, same project) inside it."""
    ticket_ids = list(ticket_ids)
    if not ticket_ids:
        return {}
    tickets = Ticket.objects.filter(id__in=ticket_ids)
    rows = (DocTicketLink.objects.filter(ticket_key__in=tickets.values("key"), doc__deleted_at__isnull=True)
            .annotate(ticket_id=Subquery(tickets.filter(key=OuterRef("ticket_key"),
                                                        project_id=OuterRef("doc__project_id")).values("id")[:1]))
            .select_related("doc__project").only("ticket_key", "doc__title", "doc__slug", "doc__project_id",
                                                 "doc__project__key")
            .order_by("doc__title"))
    out: dict = {}
    for link in rows:
        ticket_id = link.ticket_id
        if ticket_id is None:  # the same key in another project
            continue
        out.setdefault(ticket_id, []).append({
            "type": "doc", "slug": link.doc.slug, "title": link.doc.title,
            "url": doc_url(link.doc.project.key, link.doc.slug),
        })
    return out


def docs_mentioning_ticket(*, project: Project, ticket: Ticket) -> list[Doc]:
    return list(Doc.objects.filter(project=project, deleted_at__isnull=True, ticket_links__ticket_key=ticket.key)
                .only("title", "slug", "updated_at").order_by("title"))


def linking_sources(*, project: Project, doc: Doc | None, texts: set[str]) -> QuerySet[Doc]:
    """Live docs with a `[[...]]` pointing at `doc` or written as one of `texts`."""
    lowered = {text.lower() for text in texts if text}
    link_filter = Q(target_text_lower__in=lowered)
    if doc is not None:
        link_filter |= Q(target=doc)
    source_ids = (DocLink.objects.filter(source__project=project).annotate(target_text_lower=Lower("target_text"))
                  .filter(link_filter).values("source_id"))
    return Doc.objects.filter(pk__in=source_ids, deleted_at__isnull=True)


def doc_counts(*, project: Project) -> dict:
    return Doc.objects.filter(project=project).aggregate(
        live=Count("id", filter=Q(deleted_at__isnull=True)), trashed=Count("id", filter=Q(deleted_at__isnull=False))
    )

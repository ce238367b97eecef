"""The docs hub's part of a project template (`projects.hooks.register_template_part`): the
doc skeleton. Applying creates each page through `doc_create` (a first revision, links
resolved) and appends a "Tracked by" list of the starter tickets it belongs to, as ticket
macros: the doc mentions their keys, so each ticket shows it under "Docs that mention this
ticket". Capturing keeps each page's title, body and place in the tree, and which starter
tickets it tracks; never revisions, attachments or the generated status reports."""

import re
from collections import deque

from projects.models import Ticket

from .builtin_templates import BUILTIN_TEMPLATES
from .models import Doc, DocTicketLink
from .services import doc_create

TRACKED_HEADING = "## Tracked by"
TRACKED_LINE = re.compile(r"^- \{\{ticket:[A-Z][A-Z0-9]{1,9}-\d+\}\}\s*$")
# Generated weekly reports live under this page (docs_hub/reports.py): data, not structure.
REPORTS_PARENT_TITLE = "Status reports"
MAX_TEMPLATE_DOCS = 50


def _related_line(title: str, titles: list[str]) -> str:
    others = [f"[[{other}]]" for other in titles if other != title]
    return f"Related pages: {' · '.join(others)}\n\n" if others else ""


def apply_template_docs(project, data: dict, user) -> None:
    rows = data.get("docs") or []
    keys = data.get("ticket_keys") or {}
    builtin = {template.slug: template.body for template in BUILTIN_TEMPLATES}
    titles = [row["title"] for row in rows]
    created: dict[str, Doc] = {}
    for row in rows:
        body = row.get("body") or ""
        if not body.strip() and row.get("builtin") in builtin:
            body = _related_line(row["title"], titles) + builtin[row["builtin"]]
        tracked = [keys[title] for title in row.get("tickets") or [] if title in keys]
        if tracked:
            body = body.rstrip() + f"\n\n{TRACKED_HEADING}\n" + "".join(f"- {{{{ticket:{key}}}}}\n" for key in tracked)
        created[row["title"]] = doc_create(
            project=project,
            author=user,
            title=row["title"],
            body=body,
            parent=created.get(row.get("parent") or ""),
            message="Created from the project template",
        )


def strip_tracked_section(body: str) -> str:
    """The body without the generated "Tracked by" list (its keys belong to the project it
    was made in): the heading and the ticket-macro lines right under it. Text written after
    it stays."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.strip() != TRACKED_HEADING:
            continue
        end = i + 1
        while end < len(lines) and (TRACKED_LINE.match(lines[end]) or not lines[end].strip()):
            end += 1
        if any(TRACKED_LINE.match(line) for line in lines[i + 1 : end]):
            kept = [*lines[:i], *lines[end:]]
            return "\n".join(kept).rstrip() + "\n"
    return body


def _key_number(key: str) -> int:
    return int(key.rpartition("-")[2] or 0)


def capture_template_docs(project) -> dict:
    """{"docs": [{"title", "body", "parent", "tickets"}]}: the first MAX_TEMPLATE_DOCS live
    pages, parents before children, without the status reports."""
    rows = list(Doc.objects.filter(project=project, deleted_at__isnull=True).values("id", "parent_id", "title"))
    by_parent: dict = {}
    for row in rows:
        by_parent.setdefault(row["parent_id"], []).append(row)
    live_ids = {row["id"] for row in rows}
    roots = [row for row in rows if row["parent_id"] is None or row["parent_id"] not in live_ids]
    titles = {row["id"]: row["title"] for row in rows}
    order, queue = [], deque((row, 0) for row in sorted(roots, key=lambda r: r["id"]))
    while queue and len(order) < MAX_TEMPLATE_DOCS:
        row, depth = queue.popleft()
        if row["title"] == REPORTS_PARENT_TITLE:
            continue  # and its children: they are never queued
        order.append({**row, "depth": depth})
        queue.extend((child, depth + 1) for child in by_parent.get(row["id"], []))
    ids = [row["id"] for row in order]
    docs = Doc.objects.filter(pk__in=ids).in_bulk()
    order.sort(key=lambda r: (r["depth"], docs[r["id"]].position, r["id"]))  # parents before children
    mentions: dict[int, list[str]] = {}
    for doc_id, key in DocTicketLink.objects.filter(doc_id__in=ids).values_list("doc_id", "ticket_key"):
        mentions.setdefault(doc_id, []).append(key)
    all_keys = {key for keys in mentions.values() for key in keys}
    ticket_titles = dict(Ticket.objects.filter(project=project, key__in=all_keys).values_list("key", "title"))
    out = []
    for row in order:
        doc = docs[row["id"]]
        out.append(
            {
                "title": doc.title,
                "body": strip_tracked_section(doc.body),
                "builtin": "",
                "parent": titles.get(row["parent_id"], "") if row["parent_id"] in ids else "",
                "tickets": [
                    ticket_titles[key]
                    for key in sorted(mentions.get(doc.pk, []), key=_key_number)
                    if key in ticket_titles
                ],
            }
        )
    return {"docs": out}

"""Reads of the links between docs and tickets: backlinks, a doc's outgoing links, the docs
that mention a ticket, the docs whose `[[...]]` point at a title."""

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from projects.models import Project, Ticket
from projects.ticket_links import ticket_url

from ..links import doc_url
from ..models import Doc, DocLink, DocTicketLink


def doc_backlinks(*, doc: Doc) -> dict:
    """Docs linking here, tickets whose description names this doc, tickets this doc names."""
    linking_docs = list(
        Doc.objects.filter(outgoing_links__target=doc, deleted_at__isnull=True)
        .exclude(pk=doc.pk)
        .distinct()
        .only("title", "slug")
        .order_by("title")
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
        .select_related("status")
        .only("key", "title", "status__name", "status__is_finished")
        .order_by("number")
    )
    key = doc.project.key
    return {
        "docs": [{"title": d.title, "slug": d.slug, "url": doc_url(key, d.slug)} for d in linking_docs],
        "tickets_mentioning": [{"key": t.key, "title": t.title, "url": ticket_url(t.key)} for t in mentioning_tickets],
        "tickets_mentioned": [
            {"key": t.key, "title": t.title, "status": t.status.name, "url": ticket_url(t.key)}
            for t in mentioned_tickets
        ],
    }


def doc_outgoing_links(*, doc: Doc) -> list[DocLink]:
    return list(doc.outgoing_links.select_related("target").order_by("target_text"))


def doc_backlinks_for_tickets(ticket_ids) -> dict:
    """The backlink provider for projects: ticket id -> live docs of the ticket's project
    that mention it. One query, whatever the number of tickets: the links are matched to
    the tickets (same key, same project) inside it."""
    ticket_ids = list(ticket_ids)
    if not ticket_ids:
        return {}
    tickets = Ticket.objects.filter(id__in=ticket_ids)
    rows = (
        DocTicketLink.objects.filter(ticket_key__in=tickets.values("key"), doc__deleted_at__isnull=True)
        .annotate(
            ticket_id=Subquery(
                tickets.filter(key=OuterRef("ticket_key"), project_id=OuterRef("doc__project_id")).values("id")[:1]
            )
        )
        .select_related("doc__project")
        .only("ticket_key", "doc__title", "doc__slug", "doc__project_id", "doc__project__key")
        .order_by("doc__title")
    )
    out: dict = {}
    for link in rows:
        ticket_id = link.ticket_id
        if ticket_id is None:  # the same key in another project
            continue
        out.setdefault(ticket_id, []).append(
            {
                "type": "doc",
                "slug": link.doc.slug,
                "title": link.doc.title,
                "url": doc_url(link.doc.project.key, link.doc.slug),
            }
        )
    return out


def docs_mentioning_ticket(*, project: Project, ticket: Ticket) -> list[Doc]:
    return list(
        Doc.objects.filter(project=project, deleted_at__isnull=True, ticket_links__ticket_key=ticket.key)
        .only("title", "slug", "updated_at")
        .order_by("title")
    )


def linking_sources(*, project: Project, doc: Doc | None, texts: set[str]) -> QuerySet[Doc]:
    """Live docs with a `[[...]]` pointing at `doc` or written as one of `texts`."""
    lowered = {text.lower() for text in texts if text}
    link_filter = Q(target_text_lower__in=lowered)
    if doc is not None:
        link_filter |= Q(target=doc)
    source_ids = (
        DocLink.objects.filter(source__project=project)
        .annotate(target_text_lower=Lower("target_text"))
        .filter(link_filter)
        .values("source_id")
    )
    return Doc.objects.filter(pk__in=source_ids, deleted_at__isnull=True)

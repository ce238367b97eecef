"""Fragments other apps' pages load with htmx: the ticket panel and the hub section."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from projects.access import project_for
from projects.models import Ticket

from .. import selectors
from .common import page_context


@login_required
def ticket_panel(request, key, ticket_key):
    """Docs that mention a ticket (its backlinks), for the ticket page."""
    project = project_for(request.user, key)
    ticket = Ticket.objects.filter(project=project, key=ticket_key.upper()).only("id", "key", "title").first()
    if ticket is None:
        raise Http404("No such ticket.")
    docs = selectors.docs_mentioning_ticket(project=project, ticket=ticket)
    return render(request, "docs_hub/_ticket_panel.html", page_context(project, ticket=ticket, docs=docs))


@login_required
def hub_section(request, key):
    project = project_for(request.user, key)
    return render(
        request,
        "docs_hub/_hub_section.html",
        page_context(project, recent=selectors.recent_docs(project=project, limit=6)),
    )

"""The ticket page (its sidebar, history and sections), the full "new ticket" form and
deleting a ticket. The page's parts are edited by the views beside this one: field
editing (ticket_fields.py), comments, relations, sub-tasks; notifications have their own
module. Views resolve the project through `access`, bind a form, call one service and
render the page or, for htmx, the partial that changed."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from aihub.forms import add_service_errors
from aihub.htmx import partial_template, wants_partial

from .. import selectors, services
from ..access import Action, can, project_for
from ..fields import custom_field_display
from ..forms import CommentForm, RelationForm, SubtaskForm, TicketForm
from ..models import CustomFieldType, Project, Ticket, TicketEvent
from ..ticket_links import ticket_url

BUILTIN_FIELDS = (
    ("status", "Status"),
    ("type", "Type"),
    ("priority", "Priority"),
    ("assignee", "Assignee"),
    ("estimate", "Estimate"),
    ("sprint", "Sprint"),
    ("due_date", "Due date"),
    ("parent", "Parent"),
    ("labels", "Labels"),
)
TEXT_FIELDS = ("title", "description", "acceptance_criteria")


def ticket_or_404(project: Project, ticket_key: str) -> Ticket:
    ticket = selectors.ticket_for_page(project=project, ticket_key=ticket_key)
    if ticket is None:
        raise Http404("No such ticket in this project.")
    return ticket


def field_value(ticket: Ticket, name: str, custom_fields) -> dict:
    """What the sidebar shows for one field: text, and a link or labels where it has them."""
    item = {"name": name, "text": "", "url": "", "labels": None}
    if name == "status":
        item["text"] = ticket.status.name
    elif name in ("type", "priority"):
        item["text"] = getattr(ticket, f"get_{name}_display")()
    elif name == "assignee":
        item["text"] = ticket.assignee.label if ticket.assignee else ""
    elif name == "estimate":
        item["text"] = f"{ticket.estimate} pts" if ticket.estimate is not None else ""
    elif name == "sprint":
        item["text"] = ticket.sprint.name if ticket.sprint else ""
        if ticket.sprint:
            item["url"] = reverse("projects:sprint", kwargs={"key": ticket.project.key, "sprint_id": ticket.sprint_id})
    elif name == "due_date":
        item["text"] = ticket.due_date.isoformat() if ticket.due_date else ""
    elif name == "parent":
        if ticket.parent:
            item["text"] = f"{ticket.parent.key} {ticket.parent.title}"
            item["url"] = ticket_url(ticket.parent.key)
    elif name == "labels":
        item["labels"] = list(ticket.labels.all())
    elif name.startswith("cf_"):
        definition = next(f for f in custom_fields if f"cf_{f.key}" == name)
        value = ticket.custom_fields.get(definition.key)
        item["text"] = custom_field_display(definition.field_type, value)
        if definition.field_type == CustomFieldType.URL and value:
            item["url"] = value
    return item


def _sidebar_fields(ticket: Ticket, custom_fields) -> list[dict]:
    labels = dict(BUILTIN_FIELDS) | {f"cf_{f.key}": f.name for f in custom_fields}
    return [{**field_value(ticket, name, custom_fields), "label": label} for name, label in labels.items()]


def _labelled_history(ticket: Ticket, custom_fields) -> list:
    """The latest 200 history lines, each with a readable name for the field it changed and
    for the values it changed between (status names, not slugs; run names, not ids)."""
    names = {f"custom_fields.{f.key}": f.name for f in custom_fields}
    events = list(selectors.ticket_history(ticket=ticket)[:200])
    value_names = {}
    if any(e.kind == TicketEvent.Kind.MOVED or e.field == "status" for e in events):
        value_names["status"] = dict(ticket.project.statuses.values_list("slug", "name"))
    for event in events:
        event.field_label = names.get(event.field) or event.field.replace("custom_fields.", "").replace("_", " ")
        labels = value_names.get("status" if event.kind == TicketEvent.Kind.MOVED else event.field, {})
        event.old_label = labels.get(event.old_value, event.old_value)
        event.new_label = labels.get(event.new_value, event.new_value)
        if event.field == "runs":  # a run linked or unlinked: its name when known
            event.new_label = event.data.get("name") or event.new_value
            event.old_label = event.data.get("name") or event.old_value
    return events


def _page_context(request, project: Project, ticket: Ticket) -> dict:
    custom_fields = list(project.custom_fields.order_by("position", "id"))
    children = list(selectors.ticket_children(ticket=ticket))
    return {
        "project": project,
        "ticket": ticket,
        "can_edit": can(project, Action.EDIT),
        "can_admin": can(project, Action.ADMIN),
        "fields": _sidebar_fields(ticket, custom_fields),
        "comments": selectors.ticket_comments(ticket=ticket),
        "history": _labelled_history(ticket, custom_fields),
        "children": children,
        "children_done": sum(1 for child in children if child.status.is_finished),
        "children_points": sum(child.estimate or 0 for child in children),
        "children_done_points": sum(child.estimate or 0 for child in children if child.status.is_finished),
        "relations": selectors.ticket_relations(ticket=ticket),
        "comment_form": CommentForm(),
        "mentionable": json.dumps(
            [{"username": m.user.username, "name": m.user.label} for m in selectors.project_members(project=project)]
        ),
        "relation_form": RelationForm(),
        "subtask_form": SubtaskForm(),
    }


def ticket_section(request, project, ticket, partial, **extra):
    """One section of the ticket page (comments, relations, children), after a change to it."""
    context = _page_context(request, project, ticket) | extra
    return render(request, f"projects/ticket_detail.html#{partial}", context)


@login_required
def ticket_detail(request, key, ticket_key):
    project = project_for(request.user, key)
    ticket = ticket_or_404(project, ticket_key)
    context = _page_context(request, project, ticket)
    return render(request, partial_template(request, "projects/ticket_detail.html", "ticket-body"), context)


@login_required
def ticket_create(request, key):
    project = project_for(request.user, key, Action.EDIT)
    choices = selectors.ticket_choices(project=project)
    initial = {
        "status": choices["statuses"][0].slug if choices["statuses"] else "",
        "sprint": request.GET.get("sprint", ""),
        "parent": request.GET.get("parent", ""),
        "type": request.GET.get("type", "story"),
    }
    form = TicketForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(project=project, reporter=request.user, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{ticket.key} created.")
            return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return render(request, "projects/ticket_form.html", {"project": project, "form": form})


@login_required
@require_POST
def ticket_delete(request, key, ticket_key):
    project = project_for(request.user, key, Action.EDIT)
    ticket = ticket_or_404(project, ticket_key)
    services.ticket_delete(ticket=ticket, user=request.user)
    messages.success(request, f"{ticket_key} deleted.")
    url = reverse("projects:backlog", kwargs={"key": project.key})
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)

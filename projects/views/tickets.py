"""The ticket page and its in-place edits, comments, relations and sub-tasks; the full
"new ticket" form. Views resolve the project through `access`, bind a form, call one
service and render the page or, for htmx, the partial that changed."""
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from aihub.exceptions import StaleVersion
from aihub.forms import add_service_errors
from aihub.htmx import partial_template, wants_partial

from .. import selectors, services
from ..access import Action, can, project_for
from ..forms_tickets import (
    CommentForm,
    RelationForm,
    SubtaskForm,
    TicketForm,
    field_edit_form,
    field_service_kwargs,
)
from ..models import Comment, CustomFieldType, Project, Ticket, TicketEvent, TicketRelation

BUILTIN_FIELDS = (
    ("status", "Status"), ("type", "Type"), ("priority", "Priority"), ("assignee", "Assignee"),
    ("estimate", "Estimate"), ("sprint", "Sprint"), ("due_date", "Due date"), ("parent", "Parent"),
    ("labels", "Labels"),
)
TEXT_FIELDS = ("title", "description", "acceptance_criteria")


def _ticket_or_404(project: Project, ticket_key: str) -> Ticket:
    ticket = selectors.ticket_for_page(project=project, ticket_key=ticket_key)
    if ticket is None:
        raise Http404("No such ticket in this project.")
    return ticket


def _custom_display(definition, value) -> str:
    if value in (None, "", []):
        return ""
    if definition.field_type == CustomFieldType.MULTI_SELECT:
        return ", ".join(value)
    if definition.field_type == CustomFieldType.CHECKBOX:
        return "Yes" if value else "No"
    return str(value)


def _field_value(ticket: Ticket, name: str, custom_fields) -> dict:
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
            item["url"] = reverse("projects:ticket", kwargs={"key": ticket.project.key, "ticket_key": ticket.parent.key})
    elif name == "labels":
        item["labels"] = list(ticket.labels.all())
    elif name.startswith("cf_"):
        definition = next(f for f in custom_fields if f"cf_{f.key}" == name)
        value = ticket.custom_fields.get(definition.key)
        item["text"] = _custom_display(definition, value)
        if definition.field_type == CustomFieldType.URL and value:
            item["url"] = value
    return item


def _sidebar_fields(ticket: Ticket, custom_fields) -> list[dict]:
    labels = dict(BUILTIN_FIELDS) | {f"cf_{f.key}": f.name for f in custom_fields}
    return [{**_field_value(ticket, name, custom_fields), "label": label} for name, label in labels.items()]


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
        "mentionable": json.dumps([{"username": m.user.username, "name": m.user.label}
                                   for m in selectors.project_members(project=project)]),
        "relation_form": RelationForm(),
        "subtask_form": SubtaskForm(),
    }


@login_required
def ticket_detail(request, key, ticket_key):
    project = project_for(request.user, key)
    ticket = _ticket_or_404(project, ticket_key)
    context = _page_context(request, project, ticket)
    return render(request, partial_template(request, "projects/ticket_detail.html", "ticket-body"), context)


def _field_label(name: str, custom_fields) -> str:
    labels = dict(BUILTIN_FIELDS) | {"title": "Title", "description": "Description",
                                     "acceptance_criteria": "Acceptance criteria"}
    labels |= {f"cf_{f.key}": f.name for f in custom_fields}
    return labels.get(name, name)


def _initial_value(ticket: Ticket, name: str):
    if name in TEXT_FIELDS or name in ("type", "priority", "estimate", "due_date"):
        return getattr(ticket, name)
    if name == "status":
        return ticket.status.slug
    if name == "assignee":
        return ticket.assignee.username if ticket.assignee else ""
    if name == "sprint":
        return str(ticket.sprint_id or "")
    if name == "parent":
        return ticket.parent.key if ticket.parent else ""
    if name == "labels":
        return ", ".join(label.name for label in ticket.labels.all())
    if name.startswith("cf_"):
        return ticket.custom_fields.get(name[3:])
    return None


def _field_partial(request, project, ticket, name, *, form=None, conflict=None, custom_fields=None):
    custom_fields = custom_fields if custom_fields is not None else list(project.custom_fields.all())
    context = {"project": project, "ticket": ticket, "name": name, "can_edit": can(project, Action.EDIT),
               "label": _field_label(name, custom_fields), "form": form, "conflict": conflict}
    if name in TEXT_FIELDS:
        partial = "text-field-edit" if form is not None else "text-field"
    else:
        context["field"] = {**_field_value(ticket, name, custom_fields), "label": context["label"]}
        partial = "side-field-edit" if form is not None else "side-field"
    return render(request, f"projects/ticket_detail.html#{partial}", context)


@login_required
def ticket_field(request, key, ticket_key, field):
    """In-place editing of one field. GET: the editor (or, with ?cancel, the value). POST:
    save through ticket_update. A stale version shows the other person's value beside
    the one typed here, which stays in the editor, so nothing is lost."""
    project = project_for(request.user, key, Action.EDIT if request.method == "POST" or
                          "cancel" not in request.GET else Action.VIEW)
    ticket = _ticket_or_404(project, ticket_key)
    choices = selectors.ticket_choices(project=project)
    choices["can_admin"] = can(project, Action.ADMIN)  # only admins may override finish checks
    try:
        field_edit_form(field, choices=choices)
    except KeyError:
        raise Http404("No such field.") from None
    if request.method == "GET":
        if "cancel" in request.GET:
            return _field_partial(request, project, ticket, field, custom_fields=choices["custom_fields"])
        form = field_edit_form(field, choices=choices, initial={"value": _initial_value(ticket, field),
                                                                 "version": ticket.version})
        return _field_partial(request, project, ticket, field, form=form, custom_fields=choices["custom_fields"])

    form = field_edit_form(field, choices=choices, data=request.POST)
    if form.is_valid():
        kwargs = field_service_kwargs(field, form.cleaned_data["value"])
        try:
            if "override_reason" in form.cleaned_data:
                kwargs["override_reason"] = form.cleaned_data["override_reason"]
            ticket = services.ticket_update(ticket=ticket, user=request.user, version=form.cleaned_data["version"],
                                            **kwargs)
        except StaleVersion:
            return _conflict_partial(request, project, ticket_key, field, choices)
        except ValidationError as error:
            _service_errors_on_value(form, error, field)
        else:
            ticket = _ticket_or_404(project, ticket_key)
            response = _field_partial(request, project, ticket, field, custom_fields=choices["custom_fields"])
            return trigger_client_event(response, "ticket:changed", {"key": ticket.key})
    return _field_partial(request, project, ticket, field, form=form, custom_fields=choices["custom_fields"])


def _conflict_partial(request, project, ticket_key, field, choices):
    """The editor again, with what was typed here kept in it, and the other person's saved
    value (and who saved it, when) shown beside it. Its version is now the current one, so
    saving again replaces theirs knowingly; cancelling keeps theirs."""
    current = _ticket_or_404(project, ticket_key)
    last = current.events.select_related("actor").order_by("-created_at", "-id").first()
    data = request.POST.copy()
    data[f"{field}-version"] = current.version
    form = field_edit_form(field, choices=choices, data=data)
    form.is_valid()
    is_text = field in TEXT_FIELDS
    html = {"description": current.description_html, "acceptance_criteria": current.acceptance_criteria_html}
    conflict = {
        "theirs": None if is_text else _field_value(current, field, choices["custom_fields"]),
        "their_text": _initial_value(current, field) if is_text else None,
        "html": html.get(field, ""),
        "by": last.actor if last else None, "at": last.created_at if last else None,
    }
    return _field_partial(request, project, current, field, form=form, conflict=conflict,
                          custom_fields=choices["custom_fields"])


def _service_errors_on_value(form, error: ValidationError, field: str) -> None:
    """A service error about the edited field shows under the one input the editor has."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            target = "override_reason" if name == "override_reason" and "override_reason" in form.fields else "value"
            form.add_error(target, messages_)
    else:
        form.add_error("value", error.messages)


@login_required
def ticket_create(request, key):
    project = project_for(request.user, key, Action.EDIT)
    choices = selectors.ticket_choices(project=project)
    initial = {"status": choices["statuses"][0].slug if choices["statuses"] else "",
               "sprint": request.GET.get("sprint", ""), "parent": request.GET.get("parent", ""),
               "type": request.GET.get("type", "story")}
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
    ticket = _ticket_or_404(project, ticket_key)
    services.ticket_delete(ticket=ticket, user=request.user)
    messages.success(request, f"{ticket_key} deleted.")
    url = reverse("projects:backlog", kwargs={"key": project.key})
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


def _section(request, project, ticket, partial, **extra):
    context = _page_context(request, project, ticket) | extra
    return render(request, f"projects/ticket_detail.html#{partial}", context)


@login_required
@require_POST
def ticket_comment(request, key, ticket_key):
    project = project_for(request.user, key, Action.EDIT)
    ticket = _ticket_or_404(project, ticket_key)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(ticket=ticket, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = CommentForm()
    if not wants_partial(request):
        if form.errors:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return _section(request, project, ticket, "comments", comment_form=form)


@login_required
@require_POST
def ticket_comment_delete(request, key, ticket_key, comment_id):
    project = project_for(request.user, key, Action.EDIT)
    ticket = _ticket_or_404(project, ticket_key)
    comment = get_object_or_404(Comment, ticket=ticket, pk=comment_id)
    try:
        services.comment_delete(comment=comment, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return _section(request, project, ticket, "comments")


@login_required
@require_POST
def ticket_relation_add(request, key, ticket_key):
    project = project_for(request.user, key, Action.EDIT)
    ticket = _ticket_or_404(project, ticket_key)
    form = RelationForm(request.POST)
    if form.is_valid():
        other = Ticket.objects.filter(project=project, key=form.cleaned_data["other"].strip().upper()).first()
        if other is None:
            form.add_error("other", f"No ticket {form.cleaned_data['other']} in {project.key}.")
        else:
            try:
                services.relation_add(ticket=ticket, other=other, kind=form.cleaned_data["kind"], user=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                form = RelationForm()
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return _section(request, project, ticket, "relations", relation_form=form)


@login_required
@require_POST
def ticket_relation_remove(request, key, ticket_key, relation_id):
    project = project_for(request.user, key, Action.EDIT)
    ticket = _ticket_or_404(project, ticket_key)
    relation = get_object_or_404(TicketRelation.objects.select_related("source", "target"), pk=relation_id,
                                 source__project=project)
    if ticket.pk not in (relation.source_id, relation.target_id):
        raise Http404
    services.relation_remove(relation=relation, ticket=ticket, user=request.user)
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return _section(request, project, ticket, "relations")


@login_required
@require_POST
def ticket_subtask(request, key, ticket_key):
    project = project_for(request.user, key, Action.EDIT)
    ticket = _ticket_or_404(project, ticket_key)
    form = SubtaskForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_create(project=project, reporter=request.user, title=form.cleaned_data["title"],
                                   parent=ticket, sprint=ticket.sprint,
                                   type="story" if ticket.type == "epic" else "task")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = SubtaskForm()
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return _section(request, project, ticket, "children", subtask_form=form)


@login_required
def notifications(request):
    from ..models import Notification

    items = (Notification.objects.filter(recipient=request.user)
             .select_related("actor", "ticket__project", "project").order_by("-created_at", "-id")[:100])
    return render(request, "projects/notifications.html", {"notifications": items})


@login_required
@require_POST
def notifications_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    services.notifications_mark_read(user=request.user, ids=ids)
    if wants_partial(request):
        response = HttpResponse(status=204)
        return trigger_client_event(response, "notifications:changed", {})
    return redirect("projects:notifications")


@login_required
def notification_open(request, notification_id):
    """Mark one notification read and go to its ticket."""
    from ..models import Notification

    notification = get_object_or_404(Notification.objects.select_related("ticket__project", "project"),
                                     pk=notification_id, recipient=request.user)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    if notification.ticket is None and notification.project is not None:
        return redirect("projects:hub", key=notification.project.key)
    if notification.ticket is None:
        return redirect("projects:notifications")
    return redirect("projects:ticket", key=notification.ticket.project.key, ticket_key=notification.ticket.key)

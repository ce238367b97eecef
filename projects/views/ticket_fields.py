"""In-place editing of one field of the ticket page: the editor, the save through
ticket_update, and the conflict view when someone saved first."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django_htmx.http import trigger_client_event

from aihub.exceptions import StaleVersion

from .. import selectors, services
from ..access import Action, can, project_for
from ..forms import field_edit_form, field_service_kwargs
from ..models import Ticket
from .tickets import BUILTIN_FIELDS, TEXT_FIELDS, field_value, ticket_or_404


def _field_label(name: str, custom_fields) -> str:
    labels = dict(BUILTIN_FIELDS) | {
        "title": "Title",
        "description": "Description",
        "acceptance_criteria": "Acceptance criteria",
    }
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
    context = {
        "project": project,
        "ticket": ticket,
        "name": name,
        "can_edit": can(project, Action.EDIT),
        "label": _field_label(name, custom_fields),
        "form": form,
        "conflict": conflict,
    }
    if name in TEXT_FIELDS:
        partial = "text-field-edit" if form is not None else "text-field"
    else:
        context["field"] = {**field_value(ticket, name, custom_fields), "label": context["label"]}
        partial = "side-field-edit" if form is not None else "side-field"
    return render(request, f"projects/ticket_detail.html#{partial}", context)


@login_required
def ticket_field(request, key, ticket_key, field):
    """In-place editing of one field. GET: the editor (or, with ?cancel, the value). POST:
    save through ticket_update. A stale version shows the other person's value beside
    the one typed here, which stays in the editor, so nothing is lost."""
    project = project_for(
        request.user, key, Action.EDIT if request.method == "POST" or "cancel" not in request.GET else Action.VIEW
    )
    ticket = ticket_or_404(project, ticket_key)
    choices = selectors.ticket_choices(project=project)
    choices["can_admin"] = can(project, Action.ADMIN)  # only admins may override finish checks
    try:
        field_edit_form(field, choices=choices)
    except KeyError:
        raise Http404("No such field.") from None
    if request.method == "GET":
        if "cancel" in request.GET:
            return _field_partial(request, project, ticket, field, custom_fields=choices["custom_fields"])
        form = field_edit_form(
            field, choices=choices, initial={"value": _initial_value(ticket, field), "version": ticket.version}
        )
        return _field_partial(request, project, ticket, field, form=form, custom_fields=choices["custom_fields"])

    form = field_edit_form(field, choices=choices, data=request.POST)
    if form.is_valid():
        kwargs = field_service_kwargs(field, form.cleaned_data["value"])
        try:
            if "override_reason" in form.cleaned_data:
                kwargs["override_reason"] = form.cleaned_data["override_reason"]
            ticket = services.ticket_update(
                ticket=ticket, user=request.user, version=form.cleaned_data["version"], **kwargs
            )
        except StaleVersion:
            return _conflict_partial(request, project, ticket_key, field, choices)
        except ValidationError as error:
            _service_errors_on_value(form, error, field)
        else:
            ticket = ticket_or_404(project, ticket_key)
            response = _field_partial(request, project, ticket, field, custom_fields=choices["custom_fields"])
            return trigger_client_event(response, "ticket:changed", {"key": ticket.key})
    return _field_partial(request, project, ticket, field, form=form, custom_fields=choices["custom_fields"])


def _conflict_partial(request, project, ticket_key, field, choices):
    """The editor again, with what was typed here kept in it, and the other person's saved
    value (and who saved it, when) shown beside it. Its version is now the current one, so
    saving again replaces theirs knowingly; cancelling keeps theirs."""
    current = ticket_or_404(project, ticket_key)
    last = current.events.select_related("actor").order_by("-created_at", "-id").first()
    data = request.POST.copy()
    data[f"{field}-version"] = current.version
    form = field_edit_form(field, choices=choices, data=data)
    form.is_valid()
    is_text = field in TEXT_FIELDS
    html = {"description": current.description_html, "acceptance_criteria": current.acceptance_criteria_html}
    conflict = {
        "theirs": None if is_text else field_value(current, field, choices["custom_fields"]),
        "their_text": _initial_value(current, field) if is_text else None,
        "html": html.get(field, ""),
        "by": last.actor if last else None,
        "at": last.created_at if last else None,
    }
    return _field_partial(
        request, project, current, field, form=form, conflict=conflict, custom_fields=choices["custom_fields"]
    )


def _service_errors_on_value(form, error: ValidationError, field: str) -> None:
    """A service error about the edited field shows under the one input the editor has."""
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            target = "override_reason" if name == "override_reason" and "override_reason" in form.fields else "value"
            form.add_error(target, messages_)
    else:
        form.add_error("value", error.messages)

"""The backlog: every ticket not in a completed sprint, ranked, filtered, lazily paged;
drag to reorder, multi-select into a sprint, create inline, save the filters as a view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import partial_template, wants_partial

from .. import selectors, services
from ..access import Action, can, project_for
from ..forms import InlineCreateForm, SavedViewForm
from ..models import Priority, SavedView, Sprint, Ticket, TicketType
from ..ticket_links import ticket_url_parts

PAGE_SIZE = 50  # rows a page renders; the next ones load as the "load more" row comes into view
TYPE_LABELS, PRIORITY_LABELS = dict(TicketType.choices), dict(Priority.choices)


def _backlog_page(request, project, filters):
    tickets = selectors.backlog_tickets(project=project, filters=filters, user=request.user)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    # The asked page's rows with the backlog's count as a column (the same number as
    # paginator.count, counted without the join: selectors/tickets.py): one query. An empty
    # page (past the end, or no tickets) counts on its own, as the paginator then needs.
    count = selectors.tickets.backlog_count_expression(project=project, filters=filters, user=request.user)
    rows = list(tickets.annotate(backlog_total=count)[(number - 1) * PAGE_SIZE : number * PAGE_SIZE])
    paginator = Paginator(tickets, PAGE_SIZE)
    paginator.count = (
        rows[0].backlog_total
        if rows
        else selectors.tickets.backlog_count(project=project, filters=filters, user=request.user)
    )
    page = paginator.get_page(number)
    if rows and page.number == number:
        page.object_list = rows
    next_url = ""
    if page.has_next():
        next_url = f"{reverse('projects:backlog', kwargs={'key': project.key})}?" + urlencode(
            {**filters.as_query(), "page": page.next_page_number()}
        )
    return page, next_url


def _rows(project, tickets: list[Ticket]) -> list[dict]:
    """What each backlog row shows, as a dict of display values: a template reads a dict's
    keys directly, where each attribute of a model instance is first tried as a key (an
    exception) then as an attribute, about 30 times a row (issue 12, target 6)."""
    progress = selectors.epic_progress(project=project, keys=[t.key for t in tickets if t.type == TicketType.EPIC])
    url_start, url_end = ticket_url_parts(project.key)
    sprint_url_prefix = reverse("projects:sprints", kwargs={"key": project.key})
    rows = []
    for t in tickets:
        assignee, sprint = t.assignee, t.sprint
        rows.append(
            {
                "key": t.key,
                "url": f"{url_start}{t.key}{url_end}",
                "title": t.title,
                "labels": [{"name": label.name, "color": label.color} for label in t.label_list],
                "type": t.type,
                # get_type_display() builds the choices' dict on every call: twice a row.
                "type_label": TYPE_LABELS.get(t.type, t.type),
                "epic_progress": progress.get(t.key),
                "priority": t.priority,
                "priority_label": PRIORITY_LABELS.get(t.priority, t.priority),
                "status_name": t.status.name,
                "finished": t.status.is_finished,
                "assignee": {"label": assignee.label, "initials": assignee.initials} if assignee else None,
                "estimate": t.estimate,
                "sprint": {"name": sprint.name, "url": f"{sprint_url_prefix}{t.sprint_id}/"} if sprint else None,
            }
        )
    return rows


@login_required
def backlog(request, key):
    project = project_for(request.user, key)
    filters = selectors.TicketFilters.from_query(request.GET)
    page, next_url = _backlog_page(request, project, filters)
    context = {
        "project": project,
        "page": page,
        "tickets": _rows(project, list(page.object_list)),
        "next_url": next_url,
        "can_edit": can(project, Action.EDIT),
        "filters": filters,
    }
    if wants_partial(request) and request.GET.get("page"):  # the next rows, for the "load more" row
        return render(request, "projects/backlog.html#rows", context)
    choices = selectors.backlog_choices(project=project)
    context |= {
        "choices": choices,
        "types": TicketType.choices,
        "priorities": Priority.choices,
        "saved_views": [
            {
                "view": view,
                "url": f"{reverse('projects:backlog', kwargs={'key': project.key})}?{urlencode(view.filters)}",
                "current": view.filters == filters.as_query(),
            }
            for view in selectors.saved_views_for(project=project, user=request.user)
        ],
        "create_form": InlineCreateForm(),
        "view_form": SavedViewForm(),
        "filter_query": urlencode(filters.as_query()),
        "total": page.paginator.count,
    }
    return render(request, partial_template(request, "projects/backlog.html", "list"), context)


@login_required
@require_POST
def backlog_create(request, key):
    project = project_for(request.user, key, Action.EDIT)
    form = InlineCreateForm(request.POST)
    if form.is_valid():
        sprint = None
        sprint_id = request.POST.get("sprint") or ""
        if sprint_id.isdigit():
            sprint = Sprint.objects.filter(project=project, pk=int(sprint_id)).first()
        try:
            ticket = services.ticket_create(
                project=project,
                reporter=request.user,
                title=form.cleaned_data["title"],
                type=form.cleaned_data["type"],
                estimate=form.cleaned_data["estimate"],
                sprint=sprint,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if wants_partial(request):  # a fresh form, and the list refetches itself
                response = render(
                    request,
                    "projects/backlog.html#create-form",
                    {"project": project, "create_form": InlineCreateForm(), "can_edit": True, "created": ticket},
                )
                response["HX-Trigger"] = "backlog:changed"
                return response
            messages.success(request, f"{ticket.key} created.")
            return redirect("projects:backlog", key=project.key)
    if wants_partial(request):
        return render(
            request,
            "projects/backlog.html#create-form",
            {"project": project, "create_form": form, "can_edit": True},
            status=200,
        )
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("projects:backlog", key=project.key)


@login_required
@require_POST
def backlog_plan(request, key):
    """Multi-select: move the checked tickets into a sprint (or back to the backlog)."""
    project = project_for(request.user, key, Action.EDIT)
    keys = request.POST.getlist("tickets")
    target = request.POST.get("sprint", "")
    tickets = list(Ticket.objects.filter(project=project, key__in=keys))
    if request.POST.get("action") == "apply":
        return _bulk_edit(request, project, tickets)
    sprint = None
    if target.isdigit():
        sprint = get_object_or_404(Sprint, project=project, pk=int(target))
    elif target != "backlog":
        messages.error(request, "Choose a sprint (or the backlog) to move the selected tickets to.")
        return _back_to_backlog(request, project)
    if not tickets:
        messages.error(request, "Select at least one ticket.")
        return _back_to_backlog(request, project)
    try:
        moved = services.sprint_add_tickets(sprint=sprint, tickets=tickets, user=request.user, project=project)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"{moved} ticket{'s' if moved != 1 else ''} moved to {sprint.name if sprint else 'the backlog'}."
        )
    return _back_to_backlog(request, project)


BULK_FIELDS = ("priority", "assignee", "status", "type")


def _bulk_edit(request, project, tickets):
    """Set one field ("priority:high", "assignee:dana", "status:done"...) on every selected
    ticket, each through ticket_update: a history line each, finish checks for status."""
    field, _, value = request.POST.get("bulk", "").partition(":")
    if field not in BULK_FIELDS:
        messages.error(request, "Choose what to set on the selected tickets.")
        return _back_to_backlog(request, project)
    if not tickets:
        messages.error(request, "Select at least one ticket.")
        return _back_to_backlog(request, project)
    changed, refused = services.tickets_bulk_update(
        tickets=tickets, user=request.user, field=field, value=value or None
    )
    if changed:
        messages.success(request, f"{field.capitalize()} set on {changed} ticket{'s' if changed != 1 else ''}.")
    for reason in refused:
        messages.error(request, reason)
    return _back_to_backlog(request, project)


def _back_to_backlog(request, project):
    query = request.POST.get("query", "")
    url = reverse("projects:backlog", kwargs={"key": project.key}) + (f"?{query}" if query else "")
    return redirect(url)


@login_required
@require_POST
def saved_view_create(request, key):
    project = project_for(request.user, key)
    form = SavedViewForm(request.POST)
    filters = selectors.TicketFilters.from_query(request.POST).as_query()
    if form.is_valid():
        if form.cleaned_data["shared"] and not can(project, Action.EDIT):
            messages.error(request, "Viewers can save private views only.")
        else:
            try:
                view = services.saved_view_create(
                    project=project,
                    owner=request.user,
                    name=form.cleaned_data["name"],
                    filters=filters,
                    shared=form.cleaned_data["shared"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"View “{view.name}” saved.")
    else:
        messages.error(request, "Give the view a name.")
    url = reverse("projects:backlog", kwargs={"key": project.key})
    return redirect(f"{url}?{urlencode(filters)}" if filters else url)


@login_required
@require_POST
def saved_view_delete(request, key, view_id):
    project = project_for(request.user, key)
    view = get_object_or_404(SavedView, project=project, pk=view_id)
    if view.owner_id != request.user.pk and not view.shared:
        raise Http404
    try:
        services.saved_view_delete(view=view, user=request.user)
        messages.success(request, f"View “{view.name}” deleted.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("projects:backlog", key=project.key)

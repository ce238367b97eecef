"""Sprints: the list with velocity, the planning page (committed points against capacity
while adding tickets), start, complete with carry-over, and the burndown."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial

from .. import selectors, services
from ..access import Action, can, project_for
from ..forms import SprintCompleteForm, SprintForm
from ..models import Sprint, SprintState, Ticket
from ..ticket_links import ticket_url_parts

PLANNING_BACKLOG_SIZE = 50
SPRINT_LIST_SIZE = 50  # the sprint page lists its first tickets and links to all of them in the backlog


def _sprint_or_404(project, sprint_id) -> Sprint:
    sprint = Sprint.objects.filter(project=project, pk=sprint_id).first()
    if sprint is None:
        raise Http404("No such sprint in this project.")
    return sprint


@login_required
def sprint_list(request, key):
    project = project_for(request.user, key)
    form = SprintForm(request.POST or None)
    if request.method == "POST":
        project = project_for(request.user, key, Action.EDIT)
        if form.is_valid():
            try:
                sprint = services.sprint_create(project=project, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{sprint.name} created: add tickets to plan it.")
                return redirect("projects:sprint", key=project.key, sprint_id=sprint.pk)
    sprints = list(selectors.sprint_list(project=project))
    figures = selectors.sprint_summaries(sprints=sprints)
    for sprint in sprints:
        sprint.figures = figures[sprint.pk]
    velocity = selectors.project_velocity(project=project)
    context = {
        "project": project,
        "form": form,
        "can_edit": can(project, Action.EDIT),
        "active": [s for s in sprints if s.state == SprintState.ACTIVE],
        "planned": [s for s in sprints if s.state == SprintState.PLANNED],
        "completed": sorted(
            (s for s in sprints if s.state == SprintState.COMPLETED),
            key=lambda s: s.completed_at or s.created_at,
            reverse=True,
        ),
        "velocity": velocity,
        "average_velocity": round(sum(v["completed_points"] for v in velocity[-3:]) / len(velocity[-3:]), 1)
        if velocity
        else None,
    }
    return render(request, "projects/sprints.html", context)


def _plan_rows(project, tickets, *, status: bool) -> list[dict]:
    """What each row of the two planning lists shows, as a dict of display values: a
    template reads a dict's keys directly, where a model instance's attributes are first
    tried as keys (an exception each), a dozen times a row."""
    url_start, url_end = ticket_url_parts(project.key)
    rows = []
    for t in tickets:
        row = {"key": t.key, "url": f"{url_start}{t.key}{url_end}", "title": t.title, "estimate": t.estimate}
        if status:
            row |= {"status_name": t.status.name, "finished": t.status.is_finished}
        rows.append(row)
    return rows


def _planning_context(request, project, sprint) -> dict:
    """The sprint's first tickets, the backlog's top, and the points meter (one aggregate,
    whatever the sprint's size)."""
    points = selectors.sprint_points(sprint=sprint)
    in_sprint = _plan_rows(project, selectors.sprint_tickets(sprint=sprint)[:SPRINT_LIST_SIZE], status=True)
    candidates = (
        _plan_rows(
            project,
            selectors.sprints.sprint_candidates(project=project, user=request.user, limit=PLANNING_BACKLOG_SIZE),
            status=False,
        )
        if sprint.state != SprintState.COMPLETED
        else []
    )
    committed = points["committed"]
    return {
        "project": project,
        "sprint": sprint,
        "can_edit": can(project, Action.EDIT),
        "can_remove": can(project, Action.EDIT) and sprint.state != SprintState.COMPLETED,  # a row's Remove button
        "in_sprint": in_sprint,
        "in_sprint_total": points["count"],
        "candidates": candidates,
        "committed": committed,
        "done": points["done"],
        "over_capacity": points["over_capacity"],
        "over_by": committed - (sprint.capacity or 0),
        "capacity_percent": min(100, round(100 * committed / sprint.capacity)) if sprint.capacity else None,
        "plan_url": reverse("projects:sprint_plan", kwargs={"key": project.key, "sprint_id": sprint.pk}),
    }


def _burndown_table(burndown: dict) -> list[dict]:
    """The rows of the table behind the burndown chart: each day, its remaining points (blank
    for days to come) and the ideal line's."""
    remaining = {day["date"]: day["remaining_points"] for day in burndown["days"]}
    return [
        {"date": point["date"], "remaining": remaining.get(point["date"], ""), "ideal": point["remaining_points"]}
        for point in burndown["ideal"]
    ]


@login_required
def sprint_detail(request, key, sprint_id):
    project = project_for(request.user, key)
    sprint = _sprint_or_404(project, sprint_id)
    context = _planning_context(request, project, sprint)
    if wants_partial(request):
        return render(request, "projects/sprint_detail.html#planning", context)
    burndown = selectors.sprint_burndown(sprint=sprint) if sprint.state != SprintState.PLANNED else None
    today = timezone.localdate()
    context |= {
        "figures": burndown["summary"] if burndown else selectors.sprint_summaries(sprints=[sprint])[sprint.pk],
        "today": today,
        "starts_off_plan": sprint.state == SprintState.PLANNED and sprint.start_date != today,
        "shifted_end": today + (sprint.end_date - sprint.start_date),
        "burndown": burndown,
        "burndown_table": _burndown_table(burndown) if burndown else [],
        # Only a planned sprint's Start button asks whether another one is running (editing
        # and completing have pages of their own: sprint_edit, sprint_complete).
        "active_other": Sprint.objects.filter(project=project, state=SprintState.ACTIVE).exclude(pk=sprint.pk).first()
        if sprint.state == SprintState.PLANNED
        else None,
    }
    return render(request, "projects/sprint_detail.html", context)


@login_required
@require_POST
def sprint_plan(request, key, sprint_id):
    """Add tickets to the sprint (or take them out): the points meter updates at once."""
    project = project_for(request.user, key, Action.EDIT)
    sprint = _sprint_or_404(project, sprint_id)
    keys = request.POST.getlist("ticket")
    tickets = list(Ticket.objects.filter(project=project, key__in=keys))
    target = None if request.POST.get("action") == "remove" else sprint
    try:
        services.sprint_add_tickets(sprint=target, tickets=tickets, user=request.user, project=project)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if wants_partial(request):
        return render(request, "projects/sprint_detail.html#planning", _planning_context(request, project, sprint))
    return redirect("projects:sprint", key=project.key, sprint_id=sprint.pk)


@login_required
def sprint_edit(request, key, sprint_id):
    project = project_for(request.user, key, Action.EDIT)
    sprint = _sprint_or_404(project, sprint_id)
    form = SprintForm(
        request.POST or None, initial={f: getattr(sprint, f) for f in services.sprints.SPRINT_EDITABLE_FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.sprint_update(sprint=sprint, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{sprint.name} saved.")
            return redirect("projects:sprint", key=project.key, sprint_id=sprint.pk)
    return render(request, "projects/sprint_form.html", {"project": project, "sprint": sprint, "form": form})


@login_required
@require_POST
def sprint_start(request, key, sprint_id):
    project = project_for(request.user, key, Action.EDIT)
    sprint = _sprint_or_404(project, sprint_id)
    try:
        services.sprint_start(
            sprint=sprint, user=request.user, dates=request.POST.get("dates") or services.sprints.StartDates.PLANNED
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{sprint.name} started.")
    return redirect("projects:sprint", key=project.key, sprint_id=sprint.pk)


@login_required
@require_http_methods(["GET", "POST"])
def sprint_complete(request, key, sprint_id):
    """GET: the confirmation page (what the sprint did, where its unfinished tickets go);
    POST: complete it."""
    project = project_for(request.user, key, Action.EDIT)
    sprint = _sprint_or_404(project, sprint_id)
    others = Sprint.objects.filter(project=project).exclude(pk=sprint.pk).exclude(state=SprintState.COMPLETED)
    if request.method == "GET":
        if not sprint.can_complete():
            messages.error(
                request, f"{sprint.name} is {sprint.get_state_display().lower()}: only the active sprint can complete."
            )
            return redirect("projects:sprint", key=project.key, sprint_id=sprint.pk)
        figures = selectors.sprint_summaries(sprints=[sprint])[sprint.pk]
        unfinished = sprint.tickets.filter(status__is_finished=False).count()
        return render(
            request,
            "projects/sprint_complete.html",
            {
                "project": project,
                "sprint": sprint,
                "figures": figures,
                "unfinished": unfinished,
                "form": SprintCompleteForm(sprints=others.order_by("start_date", "id")),
            },
        )
    form = SprintCompleteForm(request.POST, sprints=others)
    if form.is_valid():
        target = (
            others.filter(pk=int(form.cleaned_data["move_open_to"])).first()
            if form.cleaned_data["move_open_to"]
            else None
        )
        try:
            services.sprint_complete(sprint=sprint, user=request.user, move_open_to=target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"{sprint.name} completed; unfinished tickets moved to {target.name if target else 'the backlog'}.",
            )
    else:
        messages.error(request, "Choose where unfinished tickets go.")
    return redirect("projects:sprint", key=project.key, sprint_id=sprint.pk)


@login_required
@require_POST
def sprint_delete(request, key, sprint_id):
    project = project_for(request.user, key, Action.EDIT)
    sprint = _sprint_or_404(project, sprint_id)
    try:
        services.sprint_delete(sprint=sprint, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("projects:sprint", key=project.key, sprint_id=sprint.pk)
    messages.success(request, f"{sprint.name} deleted; its tickets are back in the backlog.")
    return redirect("projects:sprints", key=project.key)

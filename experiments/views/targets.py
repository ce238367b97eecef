"""Targets: the section the project hub and dashboard load (htmx fragment), the page that
adds, edits and deletes them, and "create a gate from this target"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from projects.access import Action, can, project_for
from projects.models import Ticket

from .. import selectors, services
from ..forms import TargetForm, TargetGateForm
from ..models import Target


def _chart_data(row: dict) -> dict:
    """What static/js/targets.js draws: [[ms since epoch, best so far]], the target line and
    the baseline."""
    target = row["target"]
    return {
        "metric": target.metric,
        "points": [[int(at.timestamp() * 1000), value] for at, value in row["series"]],
        "target": target.target,
        "baseline": target.baseline,
    }


def _section_context(project, **extra) -> dict:
    rows = selectors.target_progress(selectors.targets_for_project(project=project))
    for row in rows:
        row["chart"] = _chart_data(row)
        row["chart_id"] = f"target-chart-{row['target'].pk}"
    return {"project": project, "rows": rows, "can_edit": can(project, Action.EDIT), **extra}


@login_required
def targets_section(request, key):
    """The Targets section of the project hub and dashboard (an htmx fragment)."""
    project = project_for(request.user, key)
    return render(request, "experiments/targets.html#section", _section_context(project, as_fragment=True))


def _page(request, project, *, form=None, gate_form=None, gate_target=None):
    """The page; a form that failed shows its messages in place (the gate form under the
    target it was for)."""
    context = _section_context(
        project,
        form=form or TargetForm(),
        gate_form=gate_form or TargetGateForm(),
        gate_target_id=gate_target.pk if gate_target else None,
        ticket_choices=selectors.gate_ticket_choices(project=project) if can(project, Action.EDIT) else [],
    )
    return render(request, "experiments/targets.html", context)


@login_required
def targets(request, key):
    """Every target with its progress; members and admins add one here."""
    project = project_for(request.user, key)
    if request.method != "POST":
        return _page(request, project)
    project = project_for(request.user, key, Action.EDIT)
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            target = services.target_create(project=project, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Target {target} added.")
            return redirect("experiments:targets", key=project.key)
    return _page(request, project, form=form)


@login_required
def target_edit(request, key, target_id):
    project = project_for(request.user, key, Action.EDIT)
    target = get_object_or_404(Target, pk=target_id, project=project)
    initial = {name: getattr(target, name) for name in TargetForm.base_fields}
    form = TargetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_update(target=target, user=request.user, changes=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Target {target} saved.")
            return redirect("experiments:targets", key=project.key)
    return render(request, "experiments/target_edit.html", {"project": project, "target": target, "form": form})


@login_required
@require_POST
def target_delete(request, key, target_id):
    project = project_for(request.user, key, Action.EDIT)
    target = get_object_or_404(Target, pk=target_id, project=project)
    services.target_delete(target=target, user=request.user)
    messages.success(request, f"Target {target} deleted.")
    return redirect("experiments:targets", key=project.key)


@login_required
@require_POST
def target_gate(request, key, target_id):
    """One click: a metric gate on the chosen ticket or epic with the target's metric,
    direction and value."""
    project = project_for(request.user, key, Action.EDIT)
    target = get_object_or_404(Target, pk=target_id, project=project)
    form = TargetGateForm(request.POST)
    if form.is_valid():
        ticket = Ticket.objects.filter(project=project, key=form.cleaned_data["ticket"].strip()).first()
        if ticket is None:
            form.add_error("ticket", "No ticket with this key in the project.")
        else:
            try:
                gate = services.target_gate_create(target=target, ticket=ticket, user=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Gate {gate} added to {ticket.key}.")
                return redirect("experiments:targets", key=project.key)
    return _page(request, project, gate_form=form, gate_target=target)

"""The lifecycle: the hub's Lifecycle section (an htmx fragment: the current phase, its
exit checklist, the advance button, recent phase changes) and the Lifecycle page (every
phase's checklist and the whole history). Members add, tick, untick and remove exit
criteria; admins advance the phase. An advance past unticked criteria is refused in the
page with the criteria named and a form for the reason that overrides them.

Forms post to their own URLs. From the hub's section (htmx) the answer is the section
again (after an advance: a reload of the hub, whose header shows the phase); without htmx
the browser is sent back to the Lifecycle page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from aihub.htmx import wants_partial

from ..access import Action, can, project_for
from ..forms.lifecycle import ExitCriterionForm, PhaseAdvanceForm
from ..lifecycle import DEFAULT_EXIT_CRITERIA, phase_label
from ..models import ExitCriterion, Project
from ..selectors.lifecycle import phase_progress, phase_transitions
from ..services import lifecycle as services

# Phase changes the hub's section lists; the Lifecycle page shows up to HISTORY_PAGE.
HISTORY_SECTION = 5
HISTORY_PAGE = 100


def _context(request, project: Project, *, section: bool, advance_form=None, refusal=None, criterion_form=None):
    progress = phase_progress(project)
    transitions = list(phase_transitions(project=project)[: HISTORY_SECTION if section else HISTORY_PAGE])
    next_phase = progress["next_phase"]
    return {
        "project": project,
        "progress": progress,
        "transitions": transitions,
        "as_section": section,
        "can_edit": can(project, Action.EDIT),
        "can_admin": can(project, Action.ADMIN),
        "advance_form": advance_form or PhaseAdvanceForm(initial={"to_phase": next_phase}),
        "refusal": refusal,
        "criterion_form": criterion_form,
        "defaults": DEFAULT_EXIT_CRITERIA,
    }


def _answer(request, project: Project, **extra):
    """The hub's section for an htmx request, else the Lifecycle page (after a POST that
    succeeded: a redirect to it)."""
    if wants_partial(request):
        return render(request, "projects/lifecycle.html#panel", _context(request, project, section=True, **extra))
    if request.method == "POST" and not extra:
        return redirect("projects:lifecycle", key=project.key)
    return render(request, "projects/lifecycle.html", _context(request, project, section=False, **extra))


@login_required
def lifecycle(request, key):
    project = project_for(request.user, key)
    return _answer(request, project)


def _criterion_or_404(project: Project, criterion_id: int) -> ExitCriterion:
    criterion = ExitCriterion.objects.filter(project=project, pk=criterion_id).first()
    if criterion is None:
        raise Http404("No such exit criterion in this project.")
    return criterion


@login_required
@require_POST
def exit_criterion_add(request, key):
    project = project_for(request.user, key, Action.EDIT)
    form = ExitCriterionForm(request.POST)
    if form.is_valid():
        try:
            services.exit_criterion_create(project=project, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("text", error.message_dict.get("text") or error.messages)
        else:
            return _answer(request, project)
    return _answer(request, project, criterion_form=form)


@login_required
@require_POST
def exit_criteria_suggested(request, key):
    """Add the suggested criteria (DEFAULT_EXIT_CRITERIA) to a phase that has none."""
    project = project_for(request.user, key, Action.EDIT)
    phase = request.POST.get("phase", "")
    if phase not in DEFAULT_EXIT_CRITERIA:
        raise Http404("No such phase.")
    if not project.exit_criteria.filter(phase=phase).exists():
        services.exit_criteria_create(project, phase, DEFAULT_EXIT_CRITERIA[phase], user=request.user)
    return _answer(request, project)


@login_required
@require_POST
def exit_criterion_tick(request, key, criterion_id):
    """Tick (done=1) or untick (done=0) a criterion."""
    project = project_for(request.user, key, Action.EDIT)
    criterion = _criterion_or_404(project, criterion_id)
    services.exit_criterion_tick(criterion=criterion, user=request.user, done=request.POST.get("done") == "1")
    return _answer(request, project)


@login_required
@require_POST
def exit_criterion_remove(request, key, criterion_id):
    project = project_for(request.user, key, Action.EDIT)
    services.exit_criterion_delete(criterion=_criterion_or_404(project, criterion_id), user=request.user)
    return _answer(request, project)


@login_required
@require_POST
def phase_advance(request, key):
    """Advance the phase. Unticked criteria without a reason: the refusal, naming them,
    with the reason's form (200, in the page or the section)."""
    project = project_for(request.user, key, Action.ADMIN)
    form = PhaseAdvanceForm(request.POST)
    if not form.is_valid():
        return _answer(request, project, advance_form=form)
    try:
        transition = services.phase_advance(
            project,
            request.user,
            to_phase=form.cleaned_data["to_phase"],
            override_reason=form.cleaned_data["override_reason"],
        )
    except services.PhaseCriteriaUnmet as refused:
        return _answer(request, project, advance_form=form, refusal=refused.unticked)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields and field != "to_phase" else None, errors)
        return _answer(request, project, advance_form=form)
    note = " (exit criteria overridden)" if transition.overridden else ""
    messages.success(request, f"{project.key} moved to {phase_label(transition.to_phase)}{note}.")
    if wants_partial(request):  # the hub shows the phase in its header too: reload it
        return HttpResponseClientRefresh()
    return redirect("projects:lifecycle", key=project.key)

"""Reads for the lifecycle: where the project stands (its phase, each phase's checklist and
how much of it is ticked), the history of phase changes, and milestones, including the
next open milestone of any number of projects in one query (the portfolio)."""

from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber

from ..lifecycle import next_phase, phase_index, phase_label
from ..models import PHASE_ORDER, ExitCriterion, Milestone, PhaseTransition, Project, Ticket, TicketType


def exit_criteria_list(*, project: Project, phase: str | None = None) -> QuerySet[ExitCriterion]:
    """The project's exit criteria (of one phase, or all) in checklist order, with who
    ticked them."""
    criteria = ExitCriterion.objects.filter(project=project).select_related("done_by", "project")
    if phase:
        criteria = criteria.filter(phase=phase)
    return criteria.order_by("phase", "position", "id")


@dataclass
class PhaseChecklist:
    value: str
    label: str
    state: str  # "done" (before the current phase), "current" or "upcoming"
    criteria: list

    @property
    def total(self) -> int:
        return len(self.criteria)

    @property
    def done(self) -> int:
        return sum(1 for c in self.criteria if c.done)

    @property
    def unticked(self) -> list:
        return [c for c in self.criteria if not c.done]

    @property
    def complete(self) -> bool:
        return self.done == self.total


def phase_progress(project: Project) -> dict:
    """Where the project stands, in one query (its criteria with who ticked them):
    {"phase", "label", "next_phase", "next_label", "current": PhaseChecklist of the current
    phase, "phases": [PhaseChecklist for each phase in order], "done", "total", "ready"
    (every criterion of the current phase ticked)}."""
    by_phase: dict[str, list] = {phase: [] for phase in PHASE_ORDER}
    for criterion in ExitCriterion.objects.filter(project=project).select_related("done_by").order_by("position", "id"):
        by_phase.setdefault(criterion.phase, []).append(criterion)
    here = phase_index(project.phase)
    phases = [
        PhaseChecklist(
            value=value,
            label=phase_label(value),
            state="done" if i < here else "current" if i == here else "upcoming",
            criteria=by_phase[value],
        )
        for i, value in enumerate(PHASE_ORDER)
    ]
    current = phases[here]
    following = next_phase(project.phase)
    return {
        "phase": project.phase,
        "label": current.label,
        "next_phase": following,
        "next_label": phase_label(following) if following else None,
        "current": current,
        "phases": phases,
        "done": current.done,
        "total": current.total,
        "ready": current.complete,
    }


def phase_transitions(*, project: Project) -> QuerySet[PhaseTransition]:
    """The project's phase changes, newest first, with who made them."""
    return (
        PhaseTransition.objects.filter(project=project)
        .select_related("actor", "project")
        .order_by("-created_at", "-id")
    )


def _epics_queryset():
    return Ticket.objects.select_related("status").only(
        "id", "key", "title", "type", "project_id", "status", "status__name", "status__is_finished"
    )


def milestone_list(*, project: Project) -> QuerySet[Milestone]:
    """The project's milestones by date, each with its epics (key, title, status) prefetched."""
    return (
        Milestone.objects.filter(project=project)
        .select_related("project")
        .prefetch_related(Prefetch("epics", queryset=_epics_queryset().order_by("number")))
        .order_by("due_date", "id")
    )


def milestone_for_page(*, project: Project, milestone_id: int) -> Milestone | None:
    return milestone_list(project=project).filter(pk=milestone_id).first()


def epic_choices(*, project: Project) -> list[tuple[str, str]]:
    """(key, "KEY title") of the project's epics, in number order, for a milestone's form."""
    return [
        (key, f"{key} {title}")
        for key, title in Ticket.objects.filter(project=project, type=TicketType.EPIC)
        .order_by("number")
        .values_list("key", "title")
    ]


def next_milestones(project_ids) -> dict[int, Milestone | None]:
    """{project_id: the project's next milestone} for any number of projects, in one
    query: the open (not completed) milestone with the earliest date, overdue ones
    included (an open milestone whose date passed is still the next thing due); None for
    a project without open milestones."""
    ids = list(dict.fromkeys(project_ids))
    found: dict[int, Milestone | None] = dict.fromkeys(ids)
    if not ids:
        return found
    rows = (
        Milestone.objects.filter(project_id__in=ids, completed_at__isnull=True)
        .annotate(
            row=Window(RowNumber(), partition_by=[F("project_id")], order_by=[F("due_date").asc(), F("id").asc()])
        )
        .filter(row=1)
        .defer("description", "description_html")
    )
    for milestone in rows:
        found[milestone.project_id] = milestone
    return found

"""The project dashboard a stakeholder reads: sprint progress, velocity and where the
work stands. A fixed number of queries whatever the number of tickets."""

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from .. import live
from ..models import Priority, Project, Ticket, TicketType, WorkflowStatus
from .sprints import active_and_recent_sprints, sprint_burndown, velocity_of


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


class _OfGroup(Subquery):
    """A subquery on a grouped column, read once per group: not a grouping key itself
    (Django would group by it too, and the database run it for every row)."""

    def get_group_by_cols(self):
        return []


def _ticket_figures(project: Project) -> dict:
    """The totals and the open tickets by type, from one pass over the project's tickets
    grouped by (status, type, urgent, overdue): a handful of rows summed here, each group's
    status read once (not joined to every ticket). Cheaper than eleven filtered aggregates
    over the join: 3.6-4.1 ms instead of 4.5-5.0 at 10,000 tickets (p10 over 200 runs)."""
    today = timezone.localdate()
    finished = WorkflowStatus.objects.filter(pk=OuterRef("status_id")).order_by().values("is_finished")
    groups = (
        Ticket.objects.filter(project=project)
        .order_by()
        .values(
            "status_id",
            "type",
            urgent=_flag(Q(priority=Priority.URGENT)),
            overdue=_flag(Q(due_date__lt=today)),  # NULL (no due date): not overdue, as in a FILTER
        )
        .annotate(count=Count("id"), points=Sum("estimate"), finished=_OfGroup(finished))
    )
    totals = {"total": 0, "open": 0, "overdue": 0, "urgent": 0, "open_points": None}
    by_type = dict.fromkeys(TicketType.values, 0)
    for group in groups:
        totals["total"] += group["count"]
        if group["finished"]:  # open tickets are those whose status is not finished
            continue
        totals["open"] += group["count"]
        totals["overdue"] += group["count"] if group["overdue"] else 0
        totals["urgent"] += group["count"] if group["urgent"] else 0
        if group["points"] is not None:  # a SUM over no estimate is NULL, as the totals' was
            totals["open_points"] = (totals["open_points"] or 0) + group["points"]
        if group["type"] in by_type:
            by_type[group["type"]] += group["count"]
    return {
        "totals": totals,
        "open_by_type": [{"type": label, "count": by_type[value]} for value, label in TicketType.choices],
    }


def project_dashboard(*, project: Project) -> dict:
    """The dashboard's figures, kept until the project's next change (or for
    AIHUB_FIGURES_CACHE_SECONDS, and within the day: what is overdue moves at midnight)."""
    return live.kept_until_changed(
        "dashboard",
        [project.pk],
        lambda ids: {project.pk: _dashboard_figures(project)},
        stamps={project.pk: timezone.localdate()},
    )[project.pk]


def _dashboard_figures(project: Project) -> dict:
    figures = _ticket_figures(project)
    # One query for both; the health's burndown rule reads the same active sprint (once,
    # within history_read_once).
    sprint, completed = active_and_recent_sprints(project=project)
    return {
        **figures,
        "sprint": sprint,
        "burndown": sprint_burndown(sprint=sprint) if sprint else None,
        "velocity": velocity_of(completed),
    }

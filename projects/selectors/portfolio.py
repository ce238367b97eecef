"""The portfolio: every project the user is a member of, one row each, with its phase,
health and top reason, the active sprint's progress, the primary target (best vs target,
from experiments through `hooks.portfolio_extras`) and the next milestone.

Bulk reads only, so 50 projects cost the same queries as one: the projects (1), health
(a fixed number, `projects_health`), the next milestones (1), the active sprints with
their points (1), and each portfolio provider (experiments: 2). Sorted in Python, because
health is computed, not stored."""

import datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from .. import hooks
from ..access import projects_for
from ..health import OFF_TRACK, ON_TRACK, STATUS_LABELS
from ..models import PHASE_ORDER, Phase, Sprint, SprintState
from .health import projects_health
from .lifecycle import next_milestones

# ?sort= values; a leading "-" reverses. Health sorts the worst first, milestones the
# soonest first (projects without one last), phases in lifecycle order.
PORTFOLIO_SORTS = {
    "name": "Name",
    "phase": "Phase",
    "health": "Health",
    "milestone": "Next milestone",
}
DEFAULT_PORTFOLIO_SORT = "health"
_HEALTH_ORDER = {OFF_TRACK: 0, "at_risk": 1, ON_TRACK: 2}


def _sprint_progress(project_ids: list[int]) -> dict[int, dict]:
    """The active sprint of each project with its committed and done points and tickets."""
    rows = (
        Sprint.objects.filter(project_id__in=project_ids, state=SprintState.ACTIVE)
        .annotate(
            committed=Coalesce(Sum("tickets__estimate"), 0),
            done=Coalesce(Sum("tickets__estimate", filter=Q(tickets__status__is_finished=True)), 0),
            ticket_count=Count("tickets"),
            done_count=Count("tickets", filter=Q(tickets__status__is_finished=True)),
        )
        .values("project_id", "id", "name", "end_date", "committed", "done", "ticket_count", "done_count")
    )
    out = {}
    for row in rows:
        basis_done, basis_total = (
            (row["done"], row["committed"]) if row["committed"] else (row["done_count"], row["ticket_count"])
        )
        row["percent"] = round(100 * basis_done / basis_total) if basis_total else 0
        row["unit"] = "points" if row["committed"] else "tickets"
        out[row["project_id"]] = row
    return out


def _sort_key(sort: str):
    if sort == "phase":
        return lambda row: (PHASE_ORDER.index(row["phase"]) if row["phase"] in PHASE_ORDER else 99, row["name"].lower())
    if sort == "health":
        return lambda row: (_HEALTH_ORDER.get(row["health"]["status"], 1), row["name"].lower())
    if sort == "milestone":

        def by_milestone(row):
            milestone = row["next_milestone"]
            return (milestone is None, milestone["due_date"] if milestone else datetime.date.max, row["name"].lower())

        return by_milestone
    return lambda row: (row["name"].lower(), row["key"])


def parse_portfolio_sort(value: str | None) -> tuple[str, bool]:
    """("health", False) from "health", ("name", True) from "-name"; unknown: the default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    field = value.lstrip("-")
    if field not in PORTFOLIO_SORTS:
        return DEFAULT_PORTFOLIO_SORT, False
    return field, descending


def portfolio_rows(*, user, sort: str | None = None) -> list[dict]:
    """One row per project the user belongs to: {"key", "name", "phase", "phase_label",
    "role", "health": {"status", "label", "reasons"}, "top_reason", "sprint",
    "primary_target", "next_milestone"}, sorted by `sort` (PORTFOLIO_SORTS, "-" reverses)."""
    projects = list(projects_for(user).order_by("name", "id"))
    if not projects:
        return []
    ids = [project.pk for project in projects]
    health = projects_health(projects)
    milestones = next_milestones(ids)
    sprints = _sprint_progress(ids)
    extras = hooks.portfolio_extras(ids)
    phase_labels = dict(Phase.choices)
    rows = []
    for project in projects:
        state = health[project.pk]
        top = state.top_reason
        milestone = milestones.get(project.pk)
        rows.append(
            {
                "id": project.pk,
                "key": project.key,
                "name": project.name,
                "phase": project.phase,
                "phase_label": phase_labels.get(project.phase, project.phase),
                "role": project.user_role,
                "health": {
                    "status": state.status,
                    "label": STATUS_LABELS[state.status],
                    "reasons": [{"code": r.code, "message": r.message} for r in state.reasons],
                },
                "top_reason": {"code": top.code, "message": top.message} if top else None,
                "sprint": sprints.get(project.pk),
                "primary_target": extras.get(project.pk, {}).get("primary_target"),
                "next_milestone": (
                    {"id": milestone.pk, "name": milestone.name, "due_date": milestone.due_date}
                    if milestone is not None
                    else None
                ),
            }
        )
    field, descending = parse_portfolio_sort(sort)
    rows.sort(key=_sort_key(field), reverse=descending)
    if field == "milestone" and descending:  # projects without a milestone stay last
        rows.sort(key=lambda row: row["next_milestone"] is None)
    return rows

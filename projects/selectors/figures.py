"""The figures behind the dashboard, as data: health with its reasons, the targets with
their best values (from the apps that own them, through `hooks.dashboard_targets`), the
active sprint's progress and the forecast. What `GET /api/v1/projects/{key}/dashboard/`
answers and what a status report may freeze. A fixed number of queries."""

import datetime

from django.utils import timezone

from .. import hooks
from ..models import Project, Sprint
from .forecast import ForecastScope, project_forecast
from .health import burndown_ideal_today, project_health
from .sprints import active_sprints, history_read_once, sprint_summaries


def sprint_progress(sprint: Sprint | None, *, today: datetime.date | None = None) -> dict | None:
    """The active sprint's points (`sprint_summaries`: committed, added, removed,
    completed, remaining, scope), where the burndown's ideal line stands today, and the days
    left. One query."""
    if sprint is None:
        return None
    today = today or timezone.localdate()
    numbers = sprint_summaries(sprints=[sprint])[sprint.pk]
    committed = numbers["committed"] or numbers["scope"]
    return {
        "id": sprint.pk,
        "name": sprint.name,
        "goal": sprint.goal,
        "start_date": sprint.start_date,
        "end_date": sprint.end_date,
        "committed_points": numbers["committed"],
        "added_points": numbers["added"],
        "removed_points": numbers["removed"],
        "scope_points": numbers["scope"],
        "completed_points": numbers["completed"],
        "remaining_points": numbers["remaining"],
        "ideal_remaining_points": round(burndown_ideal_today(sprint, committed, today), 2),
        "days_left": max((sprint.end_date - today).days, 0),
    }


def dashboard_figures(project: Project, *, scope: ForecastScope | None = None) -> dict:
    """{health, targets, sprint, forecast} for the project (see the module docstring)."""
    # The health's burndown rule and the sprint's progress read one sprint and its history, once.
    with history_read_once():
        sprint = next(iter(active_sprints(project_ids=[project.pk])), None)
        return {
            "health": project_health(project).as_dict(),
            "targets": hooks.dashboard_targets(project),
            "sprint": sprint_progress(sprint),
            "forecast": project_forecast(project, scope=scope),
        }

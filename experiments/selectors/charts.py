"""The experiments charts of the project dashboard: the metric burn-up (the primary target's
best value so far at the end of each day of a sprint, against the target line) and the runs
and failed runs started in each sprint. A fixed number of queries whatever the number of
runs: the burn-up reads the target's record runs (best.record_runs, one window query), the
runs per sprint are counted by the database in one aggregate."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from projects.models import Sprint, SprintState
from projects.selectors.flow import sprint_days

from ..models import Run, RunStatus, Target
from .targets import target_progress

SPRINTS_SHOWN = 8


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def primary_target(*, project) -> Target | None:
    return Target.objects.filter(project=project, primary=True).first()


def burnup_days(series: list[tuple[datetime.datetime, float]], days: list[datetime.date], *, until: datetime.date):
    """[{"date", "best"}] per day: the last value of `series` (the improvements in time
    order, so the best so far whichever way is better) known by the end of that day; None
    for days after `until` (not yet lived) and before the first result."""
    out, best, index = [], None, 0
    for day in days:
        if day > until:
            out.append({"date": day, "best": None})
            continue
        end_of_day = _start_of_day(day + datetime.timedelta(days=1))
        while index < len(series) and series[index][0] < end_of_day:
            best = series[index][1]
            index += 1
        out.append({"date": day, "best": best})
    return out


def metric_burnup(project, sprint: Sprint | None) -> dict:
    """The primary target's best value so far (among the project's finished runs, NaN and
    infinities ignored, as on the Targets section) at the end of each day of `sprint`, with
    the target and baseline. `target` or `sprint` None: nothing to draw (`days` empty).
    Two queries (the target, its record runs)."""
    target = primary_target(project=project)
    result = {"target": target, "sprint": sprint, "days": [], "best_value": None, "met": False}
    if target is None or sprint is None:
        return result
    [row] = target_progress([target])
    first, last = sprint_days(sprint)
    dates = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    until = timezone.localdate()
    if sprint.completed_at:
        until = min(until, timezone.localdate(sprint.completed_at))
    result.update(
        days=burnup_days(row["series"], dates, until=until),
        best_value=row["best_value"],
        met=row["met"],
    )
    return result


def runs_per_sprint(project, limit: int = SPRINTS_SHOWN) -> list[dict]:
    """The project's last `limit` started sprints (active or completed), oldest first, each
    with the synced runs (not deleted in MLflow) that started within its days (from the day
    it started to its end date, whole local days) and how many of them FAILED. Two queries
    whatever the number of runs."""
    sprints = list(
        Sprint.objects.filter(project=project, state__in=[SprintState.ACTIVE, SprintState.COMPLETED]).order_by(
            "-start_date", "-id"
        )[:limit]
    )
    sprints.reverse()
    if not sprints:
        return []
    windows = {}
    for sprint in sprints:
        first, last = sprint_days(sprint)
        windows[sprint.pk] = (first, last, _start_of_day(first), _start_of_day(last + datetime.timedelta(days=1)))
    aggregates = {}
    for sprint in sprints:
        _first, _last, begin, end = windows[sprint.pk]
        window = Q(start_time__gte=begin, start_time__lt=end)
        aggregates[f"runs_{sprint.pk}"] = Count("id", filter=window)
        aggregates[f"failed_{sprint.pk}"] = Count("id", filter=window & Q(status=RunStatus.FAILED))
    earliest = min(w[2] for w in windows.values())
    latest = max(w[3] for w in windows.values())
    figures = Run.objects.filter(
        project=project, deleted=False, start_time__gte=earliest, start_time__lt=latest
    ).aggregate(**aggregates)
    return [
        {
            "id": sprint.pk,
            "name": sprint.name,
            "state": sprint.state,
            "first_day": windows[sprint.pk][0],
            "last_day": windows[sprint.pk][1],
            "runs": figures[f"runs_{sprint.pk}"],
            "failed": figures[f"failed_{sprint.pk}"],
        }
        for sprint in sprints
    ]

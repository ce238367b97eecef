"""How work flows through a project's workflow, read from the tickets' history (status moves
are `TicketEvent` lines, kind "moved", field "status", old and new value the slugs):

- `cumulative_flow`: how many tickets stood in each status at the end of each day of a range;
- `cycle_times`: how long finished tickets took from their first entry into an in-progress
  status (any status but the workflow's first and the finished ones) to their finish.

Both cost a fixed number of queries whatever the number of tickets and history lines: the
flow is counted by the database, grouped by day and status; the cycle times are one query
that streams one row per recently finished ticket."""

import datetime
import math
from collections import defaultdict

from django.db.models import Case, CharField, Count, DateField, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ..models import Project, Sprint, Ticket, TicketEvent

DEFAULT_FLOW_DAYS = 30
DEFAULT_CYCLE_DAYS = 90
# Histogram bins of the cycle time, in days: [low, high) with the last open-ended.
CYCLE_BINS: tuple[tuple[float, float | None], ...] = (
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 5),
    (5, 8),
    (8, 13),
    (13, 21),
    (21, None),
)


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def _status_moves():
    return TicketEvent.objects.filter(kind=TicketEvent.Kind.MOVED, field="status")


def sprint_days(sprint: Sprint) -> tuple[datetime.date, datetime.date]:
    """The days a sprint covers on the charts: from the day it actually started (its planned
    start while it has not) to its end date, as the burndown draws it."""
    first = timezone.localdate(sprint.started_at) if sprint.started_at else sprint.start_date
    return first, max(sprint.end_date, first)


def _day_bucket(field: str, first_day: datetime.date):
    """The local day of `field`, with everything before `first_day` on the day before it."""
    return Case(
        When(**{f"{field}__lt": _start_of_day(first_day)}, then=Value(first_day - datetime.timedelta(days=1))),
        default=TruncDate(field),
        output_field=DateField(),
    )


def cumulative_flow(
    project: Project,
    days: int = DEFAULT_FLOW_DAYS,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict:
    """Tickets per status at the end of each day from `start` to `end` (default: the last
    `days` days up to today), from the history.

    A ticket counts from the moment it was created, in the status it was created in (where
    its first move took it from; its current status when it never moved), and follows its
    moves. A move the history does not hold (a deleted status's tickets went elsewhere) is
    put at the ticket's last move, so the last day always matches the board. Deleted tickets
    and statuses no longer in the workflow are not shown.

    Answers {"start", "end", "statuses": [{"slug", "name", "is_finished"}] (workflow order),
    "rows": [{"date", "counts": [n per status in that order], "total"}]}. Four queries."""
    today = timezone.localdate()
    end = min(end or today, today)
    start = start or end - datetime.timedelta(days=max(days, 1) - 1)
    start = min(start, end)
    stop = _start_of_day(end + datetime.timedelta(days=1))  # nothing at or after the range's end counts
    statuses = list(project.statuses.order_by("position", "id").values("slug", "name", "is_finished"))

    moves = _status_moves().filter(ticket=OuterRef("pk")).order_by("created_at", "id")
    last_moves = moves.order_by("-created_at", "-id")
    delta: dict[tuple[datetime.date, str], int] = defaultdict(int)
    # 1. Creations, by day and the status each ticket was created in.
    created = (
        Ticket.objects.filter(project=project, created_at__lt=stop)
        .annotate(
            day=_day_bucket("created_at", start),
            initial=Coalesce(Subquery(moves.values("old_value")[:1]), F("status__slug"), output_field=CharField()),
        )
        .order_by()
        .values("day", "initial")
        .annotate(n=Count("id"))
    )
    for row in created:
        delta[(row["day"], row["initial"])] += row["n"]
    # 2. Moves, by day, from and to.
    moved = (
        _status_moves()
        .filter(ticket__project=project, created_at__lt=stop)
        .annotate(day=_day_bucket("created_at", start))
        .order_by()
        .values("day", "old_value", "new_value")
        .annotate(n=Count("id"))
    )
    for row in moved:
        delta[(row["day"], row["old_value"])] -= row["n"]
        delta[(row["day"], row["new_value"])] += row["n"]
    # 3. Tickets whose last recorded move does not lead to where they are now.
    drifted = (
        Ticket.objects.filter(project=project, created_at__lt=stop)
        .annotate(
            last=Subquery(last_moves.values("new_value")[:1]), last_at=Subquery(last_moves.values("created_at")[:1])
        )
        .filter(last__isnull=False, last_at__lt=stop)
        .exclude(last=F("status__slug"))
        .annotate(day=_day_bucket("last_at", start))
        .order_by()
        .values("day", "last", "status__slug")
        .annotate(n=Count("id"))
    )
    for row in drifted:
        delta[(row["day"], row["last"])] -= row["n"]
        delta[(row["day"], row["status__slug"])] += row["n"]

    slugs = [status["slug"] for status in statuses]
    by_day: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for (day, slug), n in delta.items():
        by_day[day][slug] = by_day[day].get(slug, 0) + n
    running = dict.fromkeys(slugs, 0)
    rows = []
    day = start - datetime.timedelta(days=1)
    while day <= end:
        for slug, n in by_day.get(day, {}).items():
            if slug in running:
                running[slug] += n
        if day >= start:
            counts = [running[slug] for slug in slugs]
            rows.append({"date": day, "counts": counts, "total": sum(counts)})
        day += datetime.timedelta(days=1)
    return {"start": start, "end": end, "statuses": statuses, "rows": rows}


def percentile(values: list[float], fraction: float) -> float | None:
    """The `fraction` percentile of sorted `values`, interpolated between the closest ranks
    (numpy's default); None for no values."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def _bin_label(low: float, high: float | None) -> str:
    if high is None:
        return f"{low:g} d or more"
    if low == 0:
        return f"under {high:g} d"
    return f"{low:g}\u2013{high:g} d"  # an en dash


def cycle_time_summary(durations_days: list[float], *, skipped: int = 0) -> dict:
    """The histogram (CYCLE_BINS), the median and the 85th percentile of cycle times in days."""
    values = sorted(durations_days)
    bins = []
    for low, high in CYCLE_BINS:
        count = sum(1 for v in values if v >= low and (high is None or v < high))
        bins.append({"label": _bin_label(low, high), "low": low, "high": high, "count": count})
    median, p85 = percentile(values, 0.5), percentile(values, 0.85)
    return {
        "count": len(values),
        "skipped": skipped,
        "median_days": None if median is None else round(median, 1),
        "p85_days": None if p85 is None else round(p85, 1),
        "bins": bins,
    }


def cycle_times(project: Project, days: int = DEFAULT_CYCLE_DAYS) -> dict:
    """Cycle times of the tickets finished in the last `days` days (and still finished): from
    their first entry into an in-progress status (any status but the workflow's first and
    the finished ones) to their finish. Tickets that went straight to a finished status are
    `skipped`. Answers cycle_time_summary's figures with `days` and `since`. Two queries."""
    statuses = list(project.statuses.order_by("position", "id").values("slug", "is_finished"))
    in_progress = [s["slug"] for s in statuses[1:] if not s["is_finished"]]
    since = timezone.now() - datetime.timedelta(days=days)
    started = (
        _status_moves()
        .filter(ticket=OuterRef("pk"), new_value__in=in_progress, created_at__lte=OuterRef("finished_at"))
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    rows = (
        Ticket.objects.filter(project=project, status__is_finished=True, finished_at__gte=since)
        .annotate(started=Subquery(started))
        .order_by()
        .values_list("started", "finished_at")
    )
    durations, skipped = [], 0
    for started_at, finished_at in rows.iterator(chunk_size=2000):
        if started_at is None:
            skipped += 1
        else:
            durations.append(max((finished_at - started_at).total_seconds(), 0) / 86400)
    return {**cycle_time_summary(durations, skipped=skipped), "days": days, "since": since}

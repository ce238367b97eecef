"""How work flows through a project's workflow, read from the tickets' history (status moves
are `TicketEvent` lines, kind "moved", field "status", old and new value the slugs):

- `cumulative_flow`: how many tickets stood in each status at the end of each day of a range;
- `cycle_times`: how long finished tickets took from their first entry into an in-progress
  status (any status but the workflow's first and the finished ones) to their finish.

Both cost a fixed number of queries whatever the number of tickets and history lines: the
flow is counted by the database in one pass over the project's moves, grouped by day and
status; the cycle times are one query that streams one row per recently finished ticket."""

import datetime
import math
from collections import defaultdict

from django.db import connection
from django.db.models import Case, Count, DateField, F, OuterRef, Subquery, Value, When, Window
from django.db.models.functions import Lag, Lead, TruncDate
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


def _as_date(value) -> datetime.date:
    """A day as the database answered a raw query: a date (PostgreSQL) or its ISO text (SQLite)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


# The three counts of the flow, from one pass over a project's status moves (`t`, one row per
# move with the status before it, the one after it, and the ticket's current status):
# 0. each move takes the ticket from where the previous move left it (the status it was created
#    in, for its first move) to its new status, on the move's day;
# 1. each ticket with moves was created, on its creation day, in the status its first move took
#    it from, not in its current status (where the count of every ticket puts it first);
# 2. a ticket whose last move does not lead to where it is now (its status was deleted and its
#    tickets went elsewhere, which leaves no history line) is moved there on that last move's day.
_FLOW_SQL = """
WITH t AS ({moves})
SELECT 0, ev_day, COALESCE(prev_slug, old_value), new_value, COUNT(*) FROM t
  WHERE ev_in = 1 GROUP BY ev_day, COALESCE(prev_slug, old_value), new_value
UNION ALL
SELECT 1, cr_day, old_value, cur_slug, COUNT(*) FROM t
  WHERE prev_slug IS NULL AND cr_in = 1 GROUP BY cr_day, old_value, cur_slug
UNION ALL
SELECT 2, ev_day, new_value, cur_slug, COUNT(*) FROM t
  WHERE next_slug IS NULL AND ev_in = 1 AND new_value <> cur_slug GROUP BY ev_day, new_value, cur_slug
"""


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
    moves. A change the history does not hold (a deleted status's tickets went elsewhere) is
    put at the ticket's next move, or at its last move, so the last day always matches the
    board. Deleted tickets and statuses no longer in the workflow are not shown.

    Answers {"start", "end", "statuses": [{"slug", "name", "is_finished"}] (workflow order),
    "rows": [{"date", "counts": [n per status in that order], "total"}]}. Three queries
    whatever the number of tickets and moves: the statuses, the moves counted by day (one
    pass over the project's moves, in SQL), the tickets counted by creation day and status."""
    today = timezone.localdate()
    end = min(end or today, today)
    start = start or end - datetime.timedelta(days=max(days, 1) - 1)
    start = min(start, end)
    stop = _start_of_day(end + datetime.timedelta(days=1))  # nothing at or after the range's end counts
    statuses = list(project.statuses.order_by("position", "id").values("slug", "name", "is_finished"))

    delta: dict[tuple[datetime.date, str], int] = defaultdict(int)
    timeline = {"partition_by": [F("ticket_id")], "order_by": [F("created_at").asc(), F("id").asc()]}
    moves = (
        _status_moves()
        .filter(ticket__project=project)
        .annotate(
            ev_day=_day_bucket("created_at", start),
            cr_day=_day_bucket("ticket__created_at", start),
            ev_in=Case(When(created_at__lt=stop, then=Value(1)), default=Value(0)),
            cr_in=Case(When(ticket__created_at__lt=stop, then=Value(1)), default=Value(0)),
            prev_slug=Window(Lag("new_value"), **timeline),
            next_slug=Window(Lead("new_value"), **timeline),
            cur_slug=F("ticket__status__slug"),
        )
        .order_by()
        .values("ev_day", "cr_day", "ev_in", "cr_in", "old_value", "new_value", "prev_slug", "next_slug", "cur_slug")
    )
    sql, params = moves.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_FLOW_SQL.format(moves=sql), params)
        for part, day, first, second, n in cursor.fetchall():
            day = _as_date(day)
            if part == 0:
                delta[(day, first)] -= n
                delta[(day, second)] += n
            elif part == 1:
                delta[(day, first)] += n
                delta[(day, second)] -= n
            else:
                delta[(day, first)] -= n
                delta[(day, second)] += n
    # Every ticket, on its creation day, in its current status (corrected above for those that moved).
    created = (
        Ticket.objects.filter(project=project, created_at__lt=stop)
        .annotate(day=_day_bucket("created_at", start))
        .order_by()
        .values("day", "status__slug")
        .annotate(n=Count("id"))
    )
    for row in created:
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

"""Reads for sprints: the list with committed points, burndown and velocity."""

import bisect
import datetime
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import live
from ..models import Project, Sprint, SprintState, Ticket, TicketEvent
from .tickets import TicketFilters, backlog_tickets


def _points(**condition):
    return Coalesce(Sum("tickets__estimate", filter=Q(**condition) if condition else None), 0)


def sprint_list(*, project: Project) -> QuerySet[Sprint]:
    """Every sprint with `committed_points`, `done_points` and `ticket_count`, active
    first, then planned by date, then completed newest first (one query)."""
    return (
        Sprint.objects.filter(project=project)
        .annotate(
            committed_points=_points(),
            done_points=_points(tickets__status__is_finished=True),
            ticket_count=Count("tickets"),
        )
        .order_by("start_date", "id")
    )


def sprint_tickets(*, sprint: Sprint) -> QuerySet[Ticket]:
    """The sprint's tickets in rank order, with what the sprint page lists (key, title,
    status, points): not the description or its HTML. Filtered by project too (a sprint's
    tickets are its project's) so that the (project, sprint, rank) index gives them in rank
    order: the page's first 50 without sorting all 1,000 (0.3 ms instead of 0.9)."""
    return (
        Ticket.objects.filter(project_id=sprint.project_id, sprint=sprint)
        .select_related("status")
        .only("id", "key", "title", "estimate", "rank", "sprint_id", "status__name", "status__is_finished")
        .order_by("rank", "id")
    )


def sprint_candidates(*, project: Project, user=None, limit: int) -> list[Ticket]:
    """The top of the backlog the sprint page offers (tickets in no sprint, by rank), with the
    columns it lists (key, title, points): no labels, status, assignee or sprint rows."""
    tickets = backlog_tickets(project=project, filters=TicketFilters(sprint="backlog"), user=user)
    return list(
        tickets.only("id", "project_id", "key", "title", "estimate", "rank", "sprint_id")
        .select_related(None)
        .prefetch_related(None)[:limit]
    )


def sprint_points(*, sprint: Sprint) -> dict:
    totals = sprint.tickets.aggregate(
        committed=Coalesce(Sum("estimate"), 0),
        done=Coalesce(Sum("estimate", filter=Q(status__is_finished=True)), 0),
        count=Count("id"),
    )
    return {
        **totals,
        "capacity": sprint.capacity,
        "over_capacity": sprint.capacity is not None and totals["committed"] > sprint.capacity,
    }


def _end_of_day(day: datetime.date) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    ) - datetime.timedelta(microseconds=1)


def _in_sprint_at(sprint_id: int, ticket: dict, moves: list, moment: datetime.datetime) -> bool:
    if ticket["created_at"] > moment:
        return False
    if not moves:
        return ticket["sprint_id"] == sprint_id
    index = bisect.bisect_right(ticket["move_times"], moment)
    if index > 0:  # the last move at or before that moment says where it was
        return moves[index - 1][2] == sprint_id
    return moves[0][1] == sprint_id  # before its first move: where that move took it from


def _remaining_counts(sprint: Sprint, tickets, moves, moments: list[datetime.datetime]) -> list[int]:
    """Points in the sprint and not finished at each of `moments` (in time order), by a sweep
    over the moments where a ticket's count changes (created, moved, finished): each ticket
    is looked at a few times, not once a day."""
    changes: list[tuple[datetime.datetime, int]] = []
    for t in tickets:
        points = t["estimate"] or 0
        if not points:
            continue
        ticket_moves = moves[t["id"]]
        counted = 0  # before it was created
        for moment in sorted({t["created_at"], *t["move_times"], *([t["finished_at"]] if t["finished_at"] else [])}):
            now = (
                points
                if (
                    _in_sprint_at(sprint.pk, t, ticket_moves, moment)
                    and not (t["finished_at"] is not None and t["finished_at"] <= moment)
                )
                else 0
            )
            if now != counted:
                changes.append((moment, now - counted))
                counted = now
    changes.sort(key=lambda change: change[0])
    out, remaining, index = [], 0, 0
    for moment in moments:
        while index < len(changes) and changes[index][0] <= moment:
            remaining += changes[index][1]
            index += 1
        out.append(remaining)
    return out


# {sprint ids: history} while `history_read_once()` is open, else None.
_histories: ContextVar[dict | None] = ContextVar("sprint_histories", default=None)


@contextmanager
def history_read_once() -> Iterator[None]:
    """Within this block a sprint's history is read once, and so are the projects' active
    sprints: a page that shows the active sprint's burndown and the project's health (whose
    burndown rule sums the same sprint) reads the sprint, its tickets and moves once instead
    of twice. For one request's reads only: what is read first is what is used."""
    token = _histories.set({})
    try:
        yield
    finally:
        _histories.reset(token)


def active_sprints(*, project_ids: list[int]) -> list[Sprint]:
    """The active sprints of these projects (one at most each), by id: one query, none when
    read already within `history_read_once`."""
    read, key = _histories.get(), ("active", *sorted(project_ids))
    if read is not None and key in read:
        return read[key]
    sprints = list(Sprint.objects.filter(project_id__in=project_ids, state=SprintState.ACTIVE).order_by("id"))
    if read is not None:
        read[key] = sprints
    return sprints


def _history_of(sprints: list[Sprint]):
    """Every ticket with points that was ever in one of `sprints`, with its sprint moves in
    time order (one query, whatever the number of sprints; none when read already within
    `history_read_once`). Every figure sums points: a ticket without any changes none, so
    it is not read."""
    ids = [s.pk for s in sprints]
    read, key = _histories.get(), tuple(sorted(ids))
    if read is not None and key in read:
        return read[key]
    history = _read_history(ids)
    if read is not None:
        read[key] = history
    return history


def _history_from_rows(rows):
    """The tickets (as dicts with their move times) and each ticket's moves in time order,
    then id order, from `_history_sql`'s rows."""
    tickets, events = [], []
    for pk, estimate, sprint_id, created, finished, event_id, old_id, new_id in rows:
        if event_id is None:
            tickets.append(
                {
                    "id": pk,
                    "estimate": estimate,
                    "sprint_id": sprint_id,
                    "created_at": timestamp_from_text(created),
                    "finished_at": timestamp_from_text(finished),
                }
            )
        else:
            events.append((timestamp_from_text(created), event_id, pk, old_id, new_id))
    moves: dict[int, list[tuple[datetime.datetime, int | None, int | None]]] = defaultdict(list)
    for moment, _event_id, ticket_id, old_id, new_id in sorted(events, key=lambda event: event[:2]):  # by time, id
        moves[ticket_id].append((moment, old_id, new_id))
    for ticket in tickets:
        ticket["move_times"] = [move[0] for move in moves[ticket["id"]]]
    return tickets, moves


def _history_sql(sprints: int) -> str:
    """`_read_history`'s statement as SQL, for `sprints` sprint ids (compiling the querysets
    cost more than running them). Rows: ticket id, points, sprint id, created and finished
    (as text, for `timestamp_from_text`), then NULL for a ticket or, for a sprint move, the
    event's id and the move's old and new sprint ids. The moves are found through the
    partial indexes on the move's sprint ids (projects migration 0015)."""
    ticket, event = Ticket._meta.db_table, TicketEvent._meta.db_table
    ids = ", ".join(["%s"] * sprints)
    if connection.vendor == "postgresql":
        old, new, as_key = "e.data -> 'old_id'", "e.data -> 'new_id'", "%s::jsonb"
        old_number = "CAST(NULLIF(e.data ->> 'old_id', 'null') AS BIGINT)"
        new_number = "CAST(NULLIF(e.data ->> 'new_id', 'null') AS BIGINT)"
    else:  # SQLite: a JSON null reads as SQL NULL
        old, new, as_key = """JSON_EXTRACT(e.data, '$."old_id"')""", """JSON_EXTRACT(e.data, '$."new_id"')""", "%s"
        old_number, new_number = f"CAST({old} AS INTEGER)", f"CAST({new} AS INTEGER)"
    keys = ", ".join([as_key] * sprints)
    return f"""
        WITH ever_in AS (
            SELECT t.id FROM {ticket} t WHERE t.sprint_id IN ({ids}) AND t.estimate > 0
            UNION ALL
            SELECT t.id FROM {ticket} t
             WHERE t.estimate > 0 AND (t.sprint_id IS NULL OR t.sprint_id NOT IN ({ids}))
               AND t.id IN (SELECT e.ticket_id FROM {event} e
                             WHERE e.field = 'sprint' AND ({old} IN ({keys}) OR {new} IN ({keys})))
        )
        SELECT t.id, t.estimate, t.sprint_id, CAST(t.created_at AS TEXT), CAST(t.finished_at AS TEXT),
               CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)
          FROM {ticket} t WHERE t.id IN (SELECT id FROM ever_in)
        UNION ALL
        SELECT e.ticket_id, NULL, NULL, CAST(e.created_at AS TEXT), NULL, e.id, {old_number}, {new_number}
          FROM {event} e WHERE e.field = 'sprint' AND e.ticket_id IN (SELECT id FROM ever_in)
    """


def _read_history(ids: list[int]):
    """One statement: the tickets ever in these sprints with points, and their sprint moves."""
    keys = [json.dumps(pk) for pk in ids] if connection.vendor == "postgresql" else list(ids)
    with connection.cursor() as cursor:
        cursor.execute(_history_sql(len(ids)), [*ids, *ids, *keys, *keys])
        rows = cursor.fetchall()
    return _history_from_rows(rows)


def timestamp_from_text(text: str | None) -> datetime.datetime | None:
    """The aware datetime of a timestamp read as text (`CAST(... AS TEXT)`): PostgreSQL's ISO
    text with its offset ("2026-05-04 09:30:00.25+00"), or SQLite's UTC text without one. A
    sprint's history reads two of them for each of its (up to thousands of) tickets, and the
    database driver's timestamp loader that Django installs parses each in Python, several
    times slower."""
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _stop(sprint: Sprint, now: datetime.datetime) -> datetime.datetime:
    """The last moment the sprint's own work counts: just before completion (the carry-over
    moves happen at completion), or now."""
    return sprint.completed_at - datetime.timedelta(microseconds=1) if sprint.completed_at else now


def _summary(sprint: Sprint, tickets, moves, now) -> dict:
    points = lambda t: t["estimate"] or 0  # noqa: E731
    if sprint.started_at is None:  # planned: what is in it now is what it would commit
        committed = sum(points(t) for t in tickets if t["sprint_id"] == sprint.pk)
        return {
            "committed": committed,
            "added": 0,
            "removed": 0,
            "completed": 0,
            "carried_over": 0,
            "remaining": committed,
            "scope": committed,
        }
    start, stop = sprint.started_at, _stop(sprint, now)
    committed = added = removed = completed = remaining = 0
    for t in tickets:
        ticket_moves = moves[t["id"]]
        if _in_sprint_at(sprint.pk, t, ticket_moves, start):
            committed += points(t)
        elif start < t["created_at"] <= stop and (ticket_moves[0][1] if ticket_moves else t["sprint_id"]) == sprint.pk:
            added += points(t)  # created straight into the running sprint
        for moment, old_id, new_id in ticket_moves:
            if start < moment <= stop:
                if new_id == sprint.pk:
                    added += points(t)
                elif old_id == sprint.pk:
                    removed += points(t)
        if _in_sprint_at(sprint.pk, t, ticket_moves, stop):
            if t["finished_at"] is not None and t["finished_at"] <= stop:
                completed += points(t)
            else:
                remaining += points(t)
    done = sprint.state == SprintState.COMPLETED
    return {
        "committed": committed,
        "added": added,
        "removed": removed,
        "completed": completed,
        "carried_over": remaining if done else 0,
        "remaining": 0 if done else remaining,
        "scope": committed + added - removed,
    }


def sprint_summaries(*, sprints: list[Sprint]) -> dict[int, dict]:
    """{sprint id: figures} for each sprint, the numbers every sprint page shows: points
    `committed` at the start, `added` and `removed` while it ran, `completed` in it, and
    `carried_over` at completion (or still `remaining` while it runs); `scope` is committed
    + added - removed. A planned sprint commits what it holds now. One query for any
    number of sprints; the burndown and the velocity chart read the same figures."""
    if not sprints:
        return {}
    tickets, moves = _history_of(sprints)
    now = timezone.now()
    return {s.pk: _summary(s, tickets, moves, now) for s in sprints}


def sprint_burndown(*, sprint: Sprint) -> dict:
    """`burndown_of(sprint)`, kept until the project's next change (`live.kept_until_changed`)
    and within the day, for the sprint as it is now (its dates, state, start and completion)."""
    stamp = (
        timezone.localdate(),
        sprint.state,
        sprint.started_at,
        sprint.completed_at,
        sprint.start_date,
        sprint.end_date,
    )
    return live.kept_until_changed(
        f"burndown:{sprint.pk}",
        [sprint.project_id],
        lambda ids: {sprint.project_id: burndown_of(sprint)},
        stamps={sprint.project_id: stamp},
    )[sprint.project_id]


def burndown_of(sprint: Sprint) -> dict:
    """Remaining story points at the end of each day from the day the sprint actually
    started (its `started_at`, even when that is before or after the planned start date) to
    its end date, from the tickets' history (sprint moves) and when they finished, plus
    the ideal straight line from the points committed at the start to zero on the last
    day. Days after today (or after the sprint completed) have no actual value yet.
    One query."""
    first_day = sprint.start_date
    if sprint.started_at is not None:
        first_day = timezone.localtime(sprint.started_at).date()
    last_day = max(sprint.end_date, first_day)
    dates = [first_day + datetime.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    tickets, moves = _history_of([sprint])
    now = timezone.now()
    summary = _summary(sprint, tickets, moves, now)
    committed = summary["committed"]
    days = []
    if sprint.state != SprintState.PLANNED:
        # Just before completion: the last day shows what was left, not the carry-over.
        stop = _stop(sprint, now)
        stop_date = timezone.localtime(stop).date()
        shown = [day for day in dates if day <= stop_date]
        remaining = _remaining_counts(sprint, tickets, moves, [min(_end_of_day(day), stop) for day in shown])
        days = [{"date": day, "remaining_points": points} for day, points in zip(shown, remaining, strict=True)]
    span = max(len(dates) - 1, 1)
    ideal = [{"date": day, "remaining_points": round(committed * (1 - i / span), 2)} for i, day in enumerate(dates)]
    return {"days": days, "ideal": ideal, "committed_points": committed, "summary": summary}


VELOCITY_SPRINTS = 8  # the velocity chart's completed sprints


def project_velocity(*, project: Project, limit: int = VELOCITY_SPRINTS) -> list[dict]:
    """Completed sprints, oldest first, with their figures from `sprint_summaries`:
    `committed_points` at the start, `completed_points`, points added, removed and
    carried over. Two queries."""
    sprints = list(
        Sprint.objects.filter(project=project, state=SprintState.COMPLETED).order_by("-completed_at", "-id")[:limit]
    )
    sprints.reverse()
    return velocity_of(sprints)


def velocity_of(sprints: list[Sprint]) -> list[dict]:
    """The velocity chart's rows for these completed sprints (oldest first): one query."""
    figures = sprint_summaries(sprints=sprints)
    return [
        {
            "id": s.pk,
            "name": s.name,
            "committed_points": figures[s.pk]["committed"],
            "completed_points": figures[s.pk]["completed"],
            "added_points": figures[s.pk]["added"],
            "removed_points": figures[s.pk]["removed"],
            "carried_over_points": figures[s.pk]["carried_over"],
        }
        for s in sprints
    ]


def active_and_recent_sprints(*, project: Project, limit: int = VELOCITY_SPRINTS) -> tuple[Sprint | None, list[Sprint]]:
    """The project's active sprint and its last `limit` completed ones, oldest first (what
    `project_velocity` charts), in one query; within `history_read_once` the active sprint
    is kept for `active_sprints`."""
    recent = (
        Sprint.objects.filter(project=project, state=SprintState.COMPLETED)
        .order_by("-completed_at", "-id")
        .values("pk")[:limit]
    )
    rows = list(Sprint.objects.filter(Q(project=project, state=SprintState.ACTIVE) | Q(pk__in=recent)).order_by("id"))
    active = next((s for s in rows if s.state == SprintState.ACTIVE), None)
    read = _histories.get()
    if read is not None:
        read[("active", project.pk)] = [active] if active else []
    # Oldest first: the reverse of completed_at DESC (NULLs first, as PostgreSQL sorts them), id DESC.
    completed = sorted(
        (s for s in rows if s.state == SprintState.COMPLETED),
        key=lambda s: (
            s.completed_at is None,
            s.completed_at or datetime.datetime.min.replace(tzinfo=datetime.UTC),
            s.pk,
        ),
    )
    return active, completed


def planning_sprints(*, project: Project) -> list[Sprint]:
    """Sprints that can still take work (planned or active), with their points."""
    return list(sprint_list(project=project).exclude(state=SprintState.COMPLETED))

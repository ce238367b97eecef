"""Reads for sprints: the list with committed points, burndown and velocity."""
import bisect
import datetime
from collections import defaultdict

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import Project, Sprint, SprintState, Ticket, TicketEvent


def _points(**condition):
    return Coalesce(Sum("tickets__estimate", filter=Q(**condition) if condition else None), 0)


def sprint_list(*, project: Project) -> QuerySet[Sprint]:
    """Every sprint with `committed_points`, `done_points` and `ticket_count`, active
    first, then planned by date, then completed newest first (one query)."""
    return (
        Sprint.objects.filter(project=project)
        .annotate(committed_points=_points(), done_points=_points(tickets__status__is_finished=True),
                  ticket_count=Count("tickets"))
        .order_by("start_date", "id")
    )


def sprint_tickets(*, sprint: Sprint) -> QuerySet[Ticket]:
    return sprint.tickets.select_related("status", "assignee").prefetch_related("labels").order_by("rank", "id")


def sprint_points(*, sprint: Sprint) -> dict:
    totals = sprint.tickets.aggregate(committed=Coalesce(Sum("estimate"), 0),
                                      done=Coalesce(Sum("estimate", filter=Q(status__is_finished=True)), 0),
                                      count=Count("id"))
    return {**totals, "capacity": sprint.capacity,
            "over_capacity": sprint.capacity is not None and totals["committed"] > sprint.capacity}


def _end_of_day(day: datetime.date) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz) - \
        datetime.timedelta(microseconds=1)


def _sprint_history(sprint: Sprint):
    """Every ticket that was ever in the sprint, with its sprint moves in time order."""
    moved = TicketEvent.objects.filter(field="sprint").filter(Q(data__old_id=sprint.pk) | Q(data__new_id=sprint.pk))
    tickets = list(
        Ticket.objects.filter(Q(sprint=sprint) | Q(pk__in=moved.values("ticket_id")))
        .values("id", "estimate", "finished_at", "created_at", "sprint_id")
    )
    moves: dict[int, list[tuple[datetime.datetime, int | None, int | None]]] = defaultdict(list)
    for event in (TicketEvent.objects.filter(field="sprint", ticket_id__in=[t["id"] for t in tickets])
                  .order_by("created_at", "id").values("ticket_id", "created_at", "data")):
        moves[event["ticket_id"]].append((event["created_at"], event["data"].get("old_id"),
                                          event["data"].get("new_id")))
    for ticket in tickets:
        ticket["move_times"] = [move[0] for move in moves[ticket["id"]]]
    return tickets, moves


def _in_sprint_at(sprint_id: int, ticket: dict, moves: list, moment: datetime.datetime) -> bool:
    if ticket["created_at"] > moment:
        return False
    if not moves:
        return ticket["sprint_id"] == sprint_id
    index = bisect.bisect_right(ticket["move_times"], moment)
    if index > 0:  # the last move at or before that moment says where it was
        return moves[index - 1][2] == sprint_id
    return moves[0][1] == sprint_id  # before its first move: where that move took it from


def _remaining_at(sprint: Sprint, tickets, moves, moment) -> int:
    return sum(
        (t["estimate"] or 0) for t in tickets
        if _in_sprint_at(sprint.pk, t, moves[t["id"]], moment)
        and not (t["finished_at"] is not None and t["finished_at"] <= moment)
    )


def sprint_burndown(*, sprint: Sprint) -> dict:
    """Remaining story points at the end of each day of the sprint, from the tickets'
    history (sprint moves) and when they finished, plus the ideal straight line from the
    points committed at the start to zero on the last day. Days after today (or after the
    sprint completed) have no actual value yet. Three queries."""
    dates = [sprint.start_date + datetime.timedelta(days=i)
             for i in range((sprint.end_date - sprint.start_date).days + 1)]
    tickets, moves = _sprint_history(sprint)
    now = timezone.now()
    committed = _remaining_at(sprint, tickets, moves, sprint.started_at or now)
    days = []
    if sprint.state != SprintState.PLANNED:
        # Just before completion: the last day shows what was left, not the carry-over.
        stop = sprint.completed_at - datetime.timedelta(microseconds=1) if sprint.completed_at else now
        stop_date = timezone.localtime(stop).date()
        for day in dates:
            if day > stop_date:
                break
            moment = min(_end_of_day(day), stop)
            days.append({"date": day, "remaining_points": _remaining_at(sprint, tickets, moves, moment)})
    span = max(len(dates) - 1, 1)
    ideal = [{"date": day, "remaining_points": round(committed * (1 - i / span), 2)} for i, day in enumerate(dates)]
    return {"days": days, "ideal": ideal, "committed_points": committed}


def project_velocity(*, project: Project, limit: int = 8) -> list[dict]:
    """Completed sprints, oldest first: points finished in each and points it had
    committed (finished plus carried over at completion). Two queries."""
    sprints = list(
        Sprint.objects.filter(project=project, state=SprintState.COMPLETED)
        .annotate(done_points=_points(tickets__status__is_finished=True))
        .order_by("-completed_at", "-id")[:limit]
    )
    sprints.reverse()
    carried: dict[int, int] = defaultdict(int)
    if sprints:
        by_id = {s.pk: s for s in sprints}
        events = (TicketEvent.objects.filter(field="sprint", data__old_id__in=list(by_id))
                  .values("data", "created_at", "ticket__estimate"))
        for event in events:
            sprint = by_id.get(event["data"].get("old_id"))
            if sprint and sprint.completed_at and event["created_at"] >= sprint.completed_at - datetime.timedelta(
                    seconds=5):
                carried[sprint.pk] += event["ticket__estimate"] or 0
    return [
        {"id": s.pk, "name": s.name, "completed_points": s.done_points,
         "committed_points": s.done_points + carried[s.pk]}
        for s in sprints
    ]


def planning_sprints(*, project: Project) -> list[Sprint]:
    """Sprints that can still take work (planned or active), with their points."""
    return list(sprint_list(project=project).exclude(state=SprintState.COMPLETED))


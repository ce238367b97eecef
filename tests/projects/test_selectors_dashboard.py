"""The dashboard's ticket figures, read from grouped rows (issue 12, target 6), are the
numbers the filtered aggregate over tickets joined to their status gave."""

import datetime
import itertools

import pytest
from django.db.models import Count, Q, Sum
from django.utils import timezone

from projects.models import Priority, Ticket, TicketType
from projects.selectors.dashboard import _ticket_figures
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _aggregate(project) -> dict:
    today = timezone.localdate()
    open_ = Q(status__is_finished=False)
    figures = Ticket.objects.filter(project=project).aggregate(
        total=Count("id"),
        open=Count("id", filter=open_),
        overdue=Count("id", filter=open_ & Q(due_date__lt=today)),
        urgent=Count("id", filter=open_ & Q(priority=Priority.URGENT)),
        open_points=Sum("estimate", filter=open_),
        **{f"type_{value}": Count("id", filter=open_ & Q(type=value)) for value in TicketType.values},
    )
    by_type = [{"type": label, "count": figures.pop(f"type_{value}")} for value, label in TicketType.choices]
    return {"totals": figures, "open_by_type": by_type}


def _tickets(project, rows):
    statuses = list(project.statuses.order_by("position"))
    Ticket.objects.bulk_create(
        Ticket(project=project, number=n, key=f"{project.key}-{n}", title="t", rank=n, **fields(statuses))
        for n, fields in enumerate(rows, start=1)
    )


def test_the_figures_match_the_filtered_aggregate():
    today = timezone.localdate()
    empty = ProjectFactory(key="EMPTY")
    mixed = ProjectFactory(key="MIX")
    combos = itertools.product(
        range(4),  # status, the last ones finished
        TicketType.values[:3],
        (Priority.URGENT, Priority.LOW),
        (None, today - datetime.timedelta(days=1), today, today + datetime.timedelta(days=1)),
        (None, 0, 3),
    )
    _tickets(
        mixed,
        [
            lambda statuses, s=s, t=t, p=p, d=d, e=e: {
                "status": statuses[s % len(statuses)],
                "type": t,
                "priority": p,
                "due_date": d,
                "estimate": e,
            }
            for s, t, p, d, e in combos
        ],
    )
    # Open tickets without any estimate: no open points (None, as a SUM over no value).
    unestimated = ProjectFactory(key="NOEST")
    _tickets(unestimated, [lambda statuses: {"status": statuses[0], "estimate": None}] * 3)
    finished_only = ProjectFactory(key="DONE")
    _tickets(finished_only, [lambda statuses: {"status": statuses[-1], "estimate": 5}] * 2)
    for project in (empty, mixed, unestimated, finished_only):
        expected = _aggregate(project)
        assert _ticket_figures(project) == expected, project.key
    assert (
        _ticket_figures(mixed)["totals"]["open"] > 0 and _ticket_figures(unestimated)["totals"]["open_points"] is None
    )
    assert _ticket_figures(finished_only)["totals"] == {
        "total": 2,
        "open": 0,
        "overdue": 0,
        "urgent": 0,
        "open_points": None,
    }


def test_the_active_and_recent_sprints_in_one_query_are_the_velocitys(django_assert_num_queries):
    from projects.models import Sprint, SprintState
    from projects.selectors.sprints import (
        active_and_recent_sprints,
        active_sprints,
        history_read_once,
        project_velocity,
        velocity_of,
    )
    from tests.projects.factories import SprintFactory

    project = ProjectFactory()
    assert active_and_recent_sprints(project=project) == (None, [])
    now = timezone.now()
    done = [SprintFactory(project=project, name=f"Done {i}", state=SprintState.COMPLETED) for i in range(11)]
    # Same completion time for some, none for two (imported): the order PostgreSQL gives them.
    for i, sprint in enumerate(done):
        at = None if i in (2, 7) else now - datetime.timedelta(days=(i % 4))
        Sprint.objects.filter(pk=sprint.pk).update(completed_at=at)
    SprintFactory(project=project, name="Planned")
    active = SprintFactory(project=project, name="Now", state=SprintState.ACTIVE)
    SprintFactory(project=ProjectFactory(), name="Elsewhere", state=SprintState.COMPLETED)
    with django_assert_num_queries(1):
        found, completed = active_and_recent_sprints(project=project)
    assert found == active
    assert velocity_of(completed) == project_velocity(project=project)
    assert [s.pk for s in completed] == [row["id"] for row in project_velocity(project=project)]
    with history_read_once():
        active_and_recent_sprints(project=project)
        with django_assert_num_queries(0):  # the health's burndown rule reads it again
            assert active_sprints(project_ids=[project.pk]) == [active]

"""The flow charts' figures (projects.selectors.flow) on hand-built histories: the cumulative
flow counts per status per day, a deleted status's unrecorded move, and the cycle times
(first entry into an in-progress status to the finish) with their median, 85th percentile
and histogram."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone

from projects import services
from projects.models import Ticket, TicketEvent
from projects.selectors import flow
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def at(days_ago: int, hour: int = 1) -> datetime.datetime:
    day = TODAY - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def history(project, user, created, moves=(), *, status="todo"):
    """A ticket made and moved through the services (their history lines), then dated:
    created at `created`, each (moment, slug) move at its moment."""
    ticket = TicketFactory(project=project, reporter=user, status=status)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    for moment, slug in moves:
        services.ticket_update(ticket=ticket, user=user, status=slug)
        event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.MOVED).latest("id")
        TicketEvent.objects.filter(pk=event.pk).update(created_at=moment)
        if Ticket.objects.get(pk=ticket.pk).finished_at is not None:
            Ticket.objects.filter(pk=ticket.pk).update(finished_at=moment)
    return ticket


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def project():
    return ProjectFactory(key="FL")


def test_cumulative_flow_counts_tickets_per_status_at_the_end_of_each_day(project, user):
    history(project, user, at(10), [(at(3, 12), "in_progress"), (at(1, 12), "done")])
    history(project, user, at(2))  # created inside the range, never moved
    history(project, user, at(10), [(at(8), "in_progress"), (at(4, 12), "in_review"), (at(0), "in_progress")])
    history(project, user, at(6), status="in_progress")  # created straight into a column
    history(ProjectFactory(), user, at(3), [(at(2), "done")])  # another project's ticket

    data = flow.cumulative_flow(project, 5)

    assert [s["slug"] for s in data["statuses"]] == ["todo", "in_progress", "in_review", "done"]
    assert (data["start"], data["end"]) == (TODAY - datetime.timedelta(days=4), TODAY)
    assert [row["date"] for row in data["rows"]] == [TODAY - datetime.timedelta(days=d) for d in (4, 3, 2, 1, 0)]
    assert [row["counts"] for row in data["rows"]] == [
        [1, 1, 1, 0],  # day -4: the third ticket reached review that day
        [0, 2, 1, 0],  # day -3: the first ticket started
        [1, 2, 1, 0],  # day -2: a new ticket
        [1, 1, 1, 1],  # day -1: the first ticket finished
        [1, 2, 0, 1],  # today: the third ticket went back to work
    ]
    assert [row["total"] for row in data["rows"]] == [3, 3, 4, 4, 4]


def test_cumulative_flow_over_a_range_that_ends_before_today(project, user):
    history(project, user, at(10), [(at(6), "in_progress"), (at(2), "done")])

    data = flow.cumulative_flow(
        project, start=TODAY - datetime.timedelta(days=7), end=TODAY - datetime.timedelta(days=5)
    )

    # The move 6 days ago counts; the finish 2 days ago is after the range.
    assert [row["counts"] for row in data["rows"]] == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]


def test_the_last_day_matches_the_board_after_a_status_was_deleted(project, user):
    qa = services.status_add(project=project, name="QA")
    moved = history(project, user, at(9), [(at(6), "in_progress"), (at(3), "qa")])
    history(project, user, at(9), [(at(5), "in_review")])
    services.status_delete(status=qa, move_to=project.statuses.get(slug="in_review"))  # no history line

    data = flow.cumulative_flow(project, 7)

    board = dict(Ticket.objects.filter(project=project).values_list("status__slug").annotate(n=Count("id")).order_by())
    slugs = [s["slug"] for s in data["statuses"]]
    assert "qa" not in slugs and Ticket.objects.get(pk=moved.pk).status.slug == "in_review"
    assert dict(zip(slugs, data["rows"][-1]["counts"], strict=True)) == {slug: board.get(slug, 0) for slug in slugs}
    # Before its last move the ticket stood in progress; from then on, where the board has it.
    by_day = {row["date"]: dict(zip(slugs, row["counts"], strict=True)) for row in data["rows"]}
    assert by_day[TODAY - datetime.timedelta(days=4)] == {"todo": 0, "in_progress": 1, "in_review": 1, "done": 0}
    assert by_day[TODAY - datetime.timedelta(days=3)] == {"todo": 0, "in_progress": 0, "in_review": 2, "done": 0}


def test_a_ticket_moved_on_after_its_status_was_deleted_never_counts_twice(project, user):
    qa = services.status_add(project=project, name="QA")
    ticket = history(project, user, at(9), [(at(6), "in_progress"), (at(5), "qa")])
    services.status_delete(status=qa, move_to=project.statuses.get(slug="in_review"))  # no history line
    services.ticket_update(ticket=ticket, user=user, status="done")  # from in_review, in the history
    last = TicketEvent.objects.filter(ticket=ticket).latest("id")
    TicketEvent.objects.filter(pk=last.pk).update(created_at=at(2))

    data = flow.cumulative_flow(project, 7)

    # todo, in progress, in review, done: hidden while in the deleted status, then done.
    assert [row["counts"] for row in data["rows"]] == [
        [0, 1, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 1],
        [0, 0, 0, 1],
        [0, 0, 0, 1],
    ]


def test_percentile_interpolates_between_ranks():
    assert flow.percentile([], 0.5) is None
    assert flow.percentile([3.0], 0.85) == 3.0
    assert flow.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert flow.percentile([float(n) for n in range(1, 11)], 0.85) == pytest.approx(8.65)


def test_cycle_times_from_first_entry_into_progress_to_the_finish(project, user):
    history(project, user, at(20), [(at(10, 8), "in_progress"), (at(8, 8), "done")])  # 2 days
    history(project, user, at(20), [(at(12, 8), "in_review"), (at(8, 8), "done")])  # 4 days (review counts)
    history(
        project,
        user,
        at(20),
        [(at(15, 8), "in_progress"), (at(14, 8), "in_review"), (at(13, 8), "in_progress"), (at(10, 8), "done")],
    )  # 5 days from the first start, rework included
    history(project, user, at(20), [(at(9), "done")])  # straight to done: skipped
    history(project, user, at(200), [(at(150), "in_progress"), (at(100), "done")])  # finished before the window
    history(project, user, at(20), [(at(9), "in_progress"), (at(8), "done"), (at(7), "in_progress")])  # reopened
    history(ProjectFactory(), user, at(20), [(at(10), "in_progress"), (at(1), "done")])  # another project

    data = flow.cycle_times(project)

    assert data["count"] == 3 and data["skipped"] == 1 and data["days"] == 90
    assert data["median_days"] == 4.0 and data["p85_days"] == 4.7
    assert [(b["low"], b["high"], b["count"]) for b in data["bins"]] == [
        (0, 1, 0),
        (1, 2, 0),
        (2, 3, 1),
        (3, 5, 1),
        (5, 8, 1),
        (8, 13, 0),
        (13, 21, 0),
        (21, None, 0),
    ]
    assert [b["label"] for b in data["bins"]][::3] == ["under 1 d", "3\u20135 d", "13\u201321 d"]


def test_a_start_after_the_finish_does_not_count(project, user):
    """Done, then back in progress and done again: the start is the first entry into progress
    before the (last) finish."""
    history(project, user, at(20), [(at(6, 8), "in_progress"), (at(5, 8), "done")])
    ticket = history(project, user, at(20), [(at(4, 8), "done"), (at(3, 8), "in_progress"), (at(1, 8), "done")])

    data = flow.cycle_times(project)

    assert Ticket.objects.get(pk=ticket.pk).finished_at == at(1, 8)
    assert data["count"] == 2 and sorted(b["count"] for b in data["bins"] if b["count"]) == [1, 1]
    assert data["median_days"] == 1.5  # 1 day and 2 days

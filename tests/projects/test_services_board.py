"""ticket_move: places, columns, rank renumbering, finish guards and their override, stale versions."""

import contextlib
import itertools
import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from aihub.exceptions import StaleVersion
from projects import hooks, services
from projects.models import Label, Role, Ticket, TicketEvent
from projects.ranking import RANK_GAP, RESPREAD_SPACING
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory, seed_board
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


def column(project, slug):
    return list(
        Ticket.objects.filter(project=project, status__slug=slug).order_by("rank", "id").values_list("key", flat=True)
    )


@pytest.fixture
def board(db):
    project = ProjectFactory()
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    return project, member


def test_move_to_another_column_after_a_card(board):
    project, member = board
    a, b, c = TicketFactory.create_batch(3, project=project, reporter=member)
    x, y = TicketFactory.create_batch(2, project=project, reporter=member, status="in_progress")

    moved = services.ticket_move(ticket=b, user=member, status="in_progress", after=x)

    assert column(project, "todo") == [a.key, c.key]
    assert column(project, "in_progress") == [x.key, b.key, y.key]
    assert moved.status.slug == "in_progress"
    assert moved.version == b.version + 1
    event = TicketEvent.objects.get(ticket=b, kind=TicketEvent.Kind.MOVED)
    assert (event.old_value, event.new_value, event.actor) == ("todo", "in_progress", member)


def test_move_to_top_and_within_a_column_by_key(board):
    project, member = board
    a, b, c = TicketFactory.create_batch(3, project=project, reporter=member)

    services.ticket_move(ticket=c, user=member, status="todo", after=None)
    assert column(project, "todo") == [c.key, a.key, b.key]
    services.ticket_move(ticket=c, user=member, status="todo", after=b.key)
    assert column(project, "todo") == [a.key, b.key, c.key]
    # a reorder is not a status change: no history line, and the version stays
    assert not TicketEvent.objects.filter(ticket=c, kind=TicketEvent.Kind.MOVED).exists()


def test_move_into_an_empty_column(board):
    project, member = board
    a = TicketFactory(project=project, reporter=member)
    services.ticket_move(ticket=a, user=member, status="in_review")
    assert column(project, "in_review") == [a.key]


def test_move_writes_one_ticket_row(board):
    project, member = board
    tickets = TicketFactory.create_batch(30, project=project, reporter=member)
    before = dict(Ticket.objects.values_list("key", "rank"))
    services.ticket_move(ticket=tickets[0], user=member, status="todo", after=tickets[10])
    after = dict(Ticket.objects.values_list("key", "rank"))
    assert [key for key in before if before[key] != after[key]] == [tickets[0].key]


def test_bad_status_and_bad_after_are_field_errors(board):
    project, member = board
    a, b = TicketFactory.create_batch(2, project=project, reporter=member)
    x = TicketFactory(project=project, reporter=member, status="in_progress")
    with pytest.raises(ValidationError) as error:
        services.ticket_move(ticket=a, user=member, status="nope")
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.ticket_move(ticket=a, user=member, status="todo", after=x)  # x is in another column
    assert "after" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.ticket_move(ticket=a, user=member, status="todo", after=a)
    assert "after" in error.value.message_dict
    other = ProjectFactory()
    with pytest.raises(ValidationError):
        services.ticket_move(ticket=a, user=member, status=other.statuses.get(slug="done"))
    assert column(project, "todo") == [a.key, b.key]


def test_stale_version_is_refused_and_changes_nothing(board):
    project, member = board
    a = TicketFactory(project=project, reporter=member)
    services.ticket_move(ticket=a, user=member, status="in_progress", version=1)
    with pytest.raises(StaleVersion) as error:
        services.ticket_move(ticket=a, user=member, status="done", version=1)
    assert error.value.current.version == 2
    assert error.value.current.status.slug == "in_progress"
    assert Ticket.objects.get(pk=a.pk).status.slug == "in_progress"


def test_renumbers_when_the_gap_runs_out_and_keeps_every_order(board):
    project, member = board
    tickets = TicketFactory.create_batch(6, project=project, reporter=member)
    doing = TicketFactory.create_batch(2, project=project, reporter=member, status="in_progress")
    first, second = tickets[0], tickets[1]
    # Squeeze cards between the first two until no integer is left between neighbours:
    # a gap of 2**16 halves 16 times before running out.
    movers = tickets[2:]
    for i in range(40):
        services.ticket_move(ticket=movers[i % len(movers)], user=member, status="todo", after=first)
    expected_top = [first.key, movers[39 % 4].key]
    order = column(project, "todo")
    assert order[:2] == expected_top
    assert len(order) == len(set(order)) == 6
    ranks = list(Ticket.objects.filter(project=project, status__slug="todo").values_list("rank", flat=True))
    assert len(ranks) == len(set(ranks)), "ranks in a column stay distinct"
    assert column(project, "in_progress") == [t.key for t in doing]
    assert second.key in order


def test_rebalance_keeps_project_order_and_spreads_ranks(board):
    project, member = board
    tickets = TicketFactory.create_batch(5, project=project, reporter=member)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(rank=7)  # all tied: order falls back on id
    services.project_ranks_rebalance(project=project)
    ranks = list(Ticket.objects.filter(project=project).order_by("id").values_list("rank", flat=True))
    assert ranks == [RANK_GAP * (i + 1) for i in range(5)]
    # and a move between tied cards works (renumbers first)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(rank=7)
    services.ticket_move(ticket=tickets[4], user=member, status="todo", after=tickets[0])
    assert column(project, "todo") == [tickets[i].key for i in (0, 4, 1, 2, 3)]


def test_renumbering_around_a_crowded_spot_touches_few_rows_and_keeps_the_order(board):
    project, member = board
    tickets = seed_board(project, member, None, [Label.objects.create(project=project, name="x")], 300)
    crowded = tickets[150].rank
    for offset, ticket in enumerate(tickets[150:156]):  # six cards on six adjacent integers
        Ticket.objects.filter(pk=ticket.pk).update(rank=crowded + offset)
    order_before = list(Ticket.objects.filter(project=project).order_by("rank", "id").values_list("id", flat=True))
    ranks_before = dict(Ticket.objects.filter(project=project).values_list("id", "rank"))

    services.project_ranks_rebalance(project=project, around=crowded)

    rows = list(Ticket.objects.filter(project=project).order_by("rank", "id").values_list("id", "rank"))
    assert [id_ for id_, _ in rows] == order_before, "the order of every ticket is kept"
    changed = [id_ for id_, rank in rows if ranks_before[id_] != rank]
    assert 0 < len(changed) < 20, "only a window around the crowded spot is renumbered"
    ranks = [rank for _, rank in rows]
    assert min(b - a for a, b in itertools.pairwise(ranks)) >= RESPREAD_SPACING


def test_a_move_into_a_crowded_spot_renumbers_and_lands_right(board):
    project, member = board
    a, b, c = TicketFactory.create_batch(3, project=project, reporter=member)
    Ticket.objects.filter(pk=b.pk).update(rank=a.rank + 1)  # no integer left between a and b
    a.refresh_from_db()
    services.ticket_move(ticket=c, user=member, status="todo", after=a)
    assert column(project, "todo") == [a.key, c.key, b.key]


@pytest.fixture
def metric_gate():
    """A finish guard like the experiments app registers: refuses tickets titled 'gated'."""

    def guard(ticket, user):
        return ["val/accuracy 0.81 is below the gate 0.90"] if "gated" in ticket.title else []

    hooks.register_finish_guard(guard)
    finished = []

    def handler(ticket, user):
        finished.append(ticket.key)

    hooks.register_ticket_finished_handler(handler)
    yield finished
    hooks.finish_guards.remove(guard)
    hooks.ticket_finished_handlers.remove(handler)


def test_finish_guard_refuses_and_admin_override_is_recorded(board, metric_gate):
    project, member = board
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    todo = project.statuses.get(slug="todo")
    gated = services.ticket_create(project=project, reporter=member, title="gated model", status=todo)

    with pytest.raises(ValidationError) as error:
        services.ticket_move(ticket=gated, user=member, status="done")
    assert error.value.message_dict["status"] == ["val/accuracy 0.81 is below the gate 0.90"]
    with pytest.raises(ValidationError) as error:  # a member may not override
        services.ticket_move(ticket=gated, user=member, status="done", override_reason="ship it")
    assert "override_reason" in error.value.message_dict
    assert Ticket.objects.get(pk=gated.pk).status.slug == "todo"
    assert metric_gate == []

    moved = services.ticket_move(ticket=gated, user=admin, status="done", override_reason="Offline eval is enough")
    assert moved.status.slug == "done" and moved.finished_at is not None
    override = TicketEvent.objects.get(ticket=gated, kind=TicketEvent.Kind.GATE_OVERRIDE)
    assert override.actor == admin
    assert override.data == {
        "reason": "Offline eval is enough",
        "overridden": ["val/accuracy 0.81 is below the gate 0.90"],
    }
    assert metric_gate == [gated.key]

    reopened = services.ticket_move(ticket=gated, user=member, status="in_progress")
    assert reopened.finished_at is None


def test_ungated_ticket_finishes_and_calls_handlers(board, metric_gate):
    project, member = board
    a = TicketFactory(project=project, reporter=member)
    moved = services.ticket_move(ticket=a, user=member, status="done")
    assert moved.finished_at is not None
    assert metric_gate == [a.key]
    # moving within finished columns does not finish it again
    services.ticket_move(ticket=a, user=member, status="done")
    assert metric_gate == [a.key]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_moving_cards_leave_a_consistent_order():
    require_postgres()
    project = ProjectFactory()
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    tickets = TicketFactory.create_batch(12, project=project, reporter=member)
    keys = [t.key for t in tickets]
    statuses = ["todo", "in_progress", "in_review"]
    errors = []
    barrier = threading.Barrier(20)

    def mover(seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(5):
                ticket = Ticket.objects.get(key=rng.choice(keys))
                status = rng.choice(statuses)
                in_column = [k for k in column(project, status) if k != ticket.key]
                after = rng.choice([None, *in_column[:3]]) if in_column else None
                # `after` may leave that column in the meantime: a refusal, not corruption.
                with contextlib.suppress(ValidationError):
                    services.ticket_move(ticket=ticket, user=member, status=status, after=after)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=mover, args=(seed,)) for seed in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rows = list(Ticket.objects.filter(project=project).values_list("key", "status_id", "rank"))
    assert sorted(k for k, _, _ in rows) == sorted(keys), "every card is still on the board exactly once"
    places = [(status_id, rank) for _, status_id, rank in rows]
    assert len(set(places)) == len(places), "no two cards share a place in a column"
    moved_events = TicketEvent.objects.filter(ticket__project=project, kind=TicketEvent.Kind.MOVED).count()
    assert moved_events > 0
    # a move after a settled board lands exactly where asked
    first = Ticket.objects.filter(project=project, status__slug="todo").first()
    last = Ticket.objects.filter(project=project).exclude(status__slug="todo").last()
    services.ticket_move(ticket=last, user=member, status="todo", after=first)
    assert column(project, "todo")[:2] == [first.key, last.key]

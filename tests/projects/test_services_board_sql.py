"""The board's move in two statements (projects/services/board_sql.py): the same places,
versions, history lines and answers as the ordinary path (services/board.py), which takes
over, in the same transaction, wherever the SQL cannot decide alone."""

import contextlib
import random
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aihub.exceptions import StaleVersion
from projects import hooks, live, services
from projects.models import Label, Role, Ticket, TicketEvent
from projects.services.board_sql import BIGINT_MIN, ticket_move_by_key
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory, seed_board
from tests.services import require_postgres, require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture
def board(db):
    require_postgres()
    project = ProjectFactory()
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    return project, member


def column(project, slug):
    return list(
        Ticket.objects.filter(project=project, status__slug=slug).order_by("rank", "id").values_list("key", flat=True)
    )


def statements(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def state(project) -> tuple[list, list]:
    """Every ticket's place, version and finished flag, and the history lines, by number."""
    tickets = list(
        Ticket.objects.filter(project=project)
        .order_by("number")
        .values_list("number", "status__slug", "rank", "version", "finished_at")
    )
    events = list(
        TicketEvent.objects.filter(ticket__project=project)
        .exclude(kind=TicketEvent.Kind.CREATED)
        .order_by("id")
        .values_list("ticket__number", "kind", "field", "old_value", "new_value", "actor_id", "data")
    )
    return [(n, slug, rank, version, finished is None) for n, slug, rank, version, finished in tickets], events


def test_the_same_moves_give_the_same_board_as_the_ordinary_path(board):
    """Two identical boards; 300 random moves, through the SQL on one and through
    ticket_move on the other, give the same ranks (negative ones too, after many moves
    to the top, and renumbered crowded spots), versions, finished flags, history lines
    and answers, move after move."""
    project, member = board
    twin = ProjectFactory()
    MembershipFactory(project=twin, role=Role.MEMBER, user=member)
    for p in (project, twin):
        services.status_add(project=p, name="Shipped", is_finished=True)  # finished -> finished moves
        for i in range(14):
            services.ticket_create(project=p, reporter=member, title=f"T{i}", status=p.statuses.order_by("id")[i % 3])
    slugs = list(project.statuses.values_list("slug", flat=True))
    rng = random.Random(12)
    by_sql = 0
    for step in range(300):
        number = rng.randint(1, 14)
        target = rng.choice(slugs)
        in_column = list(
            Ticket.objects.filter(project=project, status__slug=target)
            .exclude(number=number)
            .order_by("rank", "id")
            .values_list("number", flat=True)
        )
        # Mostly the same spot near the top: crowded spots, then renumbering, and negative ranks.
        after = rng.choice([None, None, *in_column[:2]]) if in_column and rng.random() < 0.9 else None
        answers = []
        for p, move in ((project, ticket_move_by_key), (twin, None)):
            key = f"{p.key}-{number}"
            anchor = f"{p.key}-{after}" if after else None
            if move is not None:
                with CaptureQueriesContext(connection) as captured:
                    moved = move(key=key, user=member, status=target, after=anchor)
                by_sql += len(statements(captured)) == 2
            else:
                moved = services.ticket_move(
                    ticket=Ticket.objects.get(key=key), user=member, status=target, after=anchor
                )
            answers.append((moved.status.slug, moved.rank, moved.version, moved.key.split("-")[1]))
        assert answers[0] == answers[1], step
        assert state(project) == state(twin), step
    assert Ticket.objects.filter(project=project, rank__lt=0).exists(), "negative ranks were exercised"
    assert by_sql > 150, "most moves took the two statements"


@pytest.mark.parametrize("cards", [20, 2000])
def test_an_ordinary_move_is_two_statements_whatever_the_column_length(board, cards):
    """Lock with the access check, then place and write with the history line; the next
    card is an index probe from the anchor's rank (no scan of the column up to it)."""
    project, member = board
    tickets = seed_board(project, member, None, [Label.objects.create(project=project, name="x")], cards * 4)
    doing = [t for t in tickets if t.status.slug == "in_progress"]
    anchor = doing[cards * 3 // 4]
    todo = [t for t in tickets if t.status.slug == "todo"]
    for moving, status, after in (
        (todo[0], "in_progress", anchor.key),  # another column, after a card
        (todo[1], "in_progress", None),  # another column, on top
        (todo[2], "todo", todo[5].key),  # the same column
    ):
        with CaptureQueriesContext(connection) as captured:
            moved = ticket_move_by_key(key=moving.key, user=member, status=status, after=after)
        sql = statements(captured)
        assert len(sql) == 2, sql
        order = column(project, status)
        assert order[order.index(after) + 1 if after else 0] == moving.key
        assert (moved.key, moved.status.slug) == (moving.key, status)
    if cards >= 2000:
        plan = _plan_of_the_next_card_probe(project, anchor)
        assert "ticket_board_order" in plan and "Seq Scan" not in plan, plan


def _plan_of_the_next_card_probe(project, anchor) -> str:
    from projects.services.board_sql import _PLACE_AFTER

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
        cursor.execute(
            "EXPLAIN " + _PLACE_AFTER,
            {"after": anchor.key, "project": project.pk, "ticket": 0, "status": "in_progress"},
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_it_declines_for_viewers_non_members_and_unknown_keys_and_writes_nothing(board):
    project, member = board
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    stranger = MembershipFactory(project=ProjectFactory(), role=Role.ADMIN).user
    a = TicketFactory(project=project, reporter=member)
    for user, key in ((viewer, a.key), (stranger, a.key), (member, "NOPE-1")):
        assert ticket_move_by_key(key=key, user=user, status="done") is None
    assert Ticket.objects.get(pk=a.pk).status.slug == "todo"
    assert not TicketEvent.objects.filter(ticket=a, kind=TicketEvent.Kind.MOVED).exists()


def test_what_the_sql_cannot_decide_goes_the_ordinary_way(board):
    """Field errors, a stale version, renumbering, a rank past bigint: the ordinary path's
    answers, in the same transaction."""
    project, member = board
    a, b, c = TicketFactory.create_batch(3, project=project, reporter=member)
    x = TicketFactory(project=project, reporter=member, status="in_progress")
    for status, after, field in (("nope", None, "status"), ("todo", x.key, "after"), ("todo", a.key, "after")):
        with pytest.raises(ValidationError) as error:
            ticket_move_by_key(key=a.key, user=member, status=status, after=after)
        assert field in error.value.message_dict
    with pytest.raises(StaleVersion) as stale:
        ticket_move_by_key(key=a.key, user=member, status="in_progress", version=7)
    assert stale.value.current.version == 1 and stale.value.current.project == project

    Ticket.objects.filter(pk=b.pk).update(rank=a.rank + 1)  # no integer left between a and b
    ticket_move_by_key(key=c.key, user=member, status="todo", after=a.key)
    assert column(project, "todo") == [a.key, c.key, b.key]

    Ticket.objects.filter(pk=x.pk).update(rank=BIGINT_MIN + 5)  # nothing fits above it
    with pytest.raises(ValidationError) as error:
        ticket_move_by_key(key=a.key, user=member, status="in_progress")
    assert "rank" in error.value.message_dict
    assert Ticket.objects.get(pk=a.pk).status.slug == "todo"


def test_entering_a_finished_status_asks_the_guards_and_leaving_it_clears_finished_at(board):
    project, member = board
    a = TicketFactory(project=project, reporter=member)

    def guard(ticket, user):
        return ["accuracy 0.7 < 0.9"]

    hooks.register_finish_guard(guard)
    try:
        with pytest.raises(ValidationError) as error:
            ticket_move_by_key(key=a.key, user=member, status="done")
        assert error.value.message_dict == {"status": ["accuracy 0.7 < 0.9"]}
    finally:
        hooks.finish_guards.remove(guard)
    done = ticket_move_by_key(key=a.key, user=member, status="done")
    assert done.version == 2 and Ticket.objects.get(pk=a.pk).finished_at is not None
    with CaptureQueriesContext(connection) as captured:
        back = ticket_move_by_key(key=a.key, user=member, status="in_review", version=2)
    assert len(statements(captured)) == 2
    assert back.version == 3 and Ticket.objects.get(pk=a.pk).finished_at is None
    lines = list(
        TicketEvent.objects.filter(ticket=a, kind=TicketEvent.Kind.MOVED).values_list("old_value", "new_value")
    )
    assert lines == [("todo", "done"), ("done", "in_review")]


@pytest.mark.django_db(transaction=True)
def test_the_answer_carries_the_revision_its_move_produced(api, board, monkeypatch):
    """Taken from the bump that announced the move once it committed: Redis is not asked again."""
    project, member = board
    a = TicketFactory(project=project, reporter=member)
    before = live.project_revision(project.pk) or 0

    def not_again(project_id):
        raise AssertionError("the move's answer asked for the revision again")

    monkeypatch.setattr(live, "project_revision", not_again)
    response = api.as_user(member).post(f"/api/v1/tickets/{a.key}/move/", {"status": "in_review"}, format="json")
    assert response.status_code == 200, response.content
    monkeypatch.undo()
    assert response.json()["revision"] == before + 1 == live.project_revision(project.pk)


@pytest.mark.redis
def test_a_revision_is_bumped_in_one_round_trip_on_redis(board, settings):
    require_redis()
    import redis
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"move-sql-{uuid.uuid4().hex[:8]}",
        }
    }
    project, _member = board
    trips = []
    single, batched = redis.Redis.execute_command, redis.client.Pipeline.execute

    def one_command(self, *args, **kwargs):
        trips.append(args[0])
        return single(self, *args, **kwargs)

    def one_batch(self, *args, **kwargs):
        trips.append("MULTI/EXEC")
        return batched(self, *args, **kwargs)

    redis.Redis.execute_command, redis.client.Pipeline.execute = one_command, one_batch
    try:
        revisions = [live._bump(project.pk), live._bump(project.pk)]
    finally:
        redis.Redis.execute_command, redis.client.Pipeline.execute = single, batched
    assert revisions == [1, 2] and trips == ["MULTI/EXEC", "MULTI/EXEC"]
    assert live.project_revision(project.pk) == 2
    caches["default"].delete(live.revision_key(project.pk))


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_moving_cards_by_sql_leave_a_consistent_order():
    """Moves of a project queue on its row; the placing statement starts after the lock is
    granted, so it sees every move committed meanwhile: no two cards share a place."""
    require_postgres()
    project = ProjectFactory()
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    keys = [t.key for t in TicketFactory.create_batch(12, project=project, reporter=member)]
    errors = []
    barrier = threading.Barrier(20)

    def mover(seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(5):
                key, status = rng.choice(keys), rng.choice(["todo", "in_progress", "in_review"])
                in_column = [k for k in column(project, status) if k != key]
                after = rng.choice([None, *in_column[:3]]) if in_column else None
                with contextlib.suppress(ValidationError):  # `after` may have left that column
                    moved = ticket_move_by_key(key=key, user=member, status=status, after=after)
                    if moved is None:  # that card moved while this waited: the view's way
                        ticket = Ticket.objects.get(key=key)
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
    assert sorted(k for k, _, _ in rows) == sorted(keys)
    places = [(status_id, rank) for _, status_id, rank in rows]
    assert len(set(places)) == len(places), "no two cards share a place in a column"

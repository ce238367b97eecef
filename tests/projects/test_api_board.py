"""GET /api/v1/projects/{key}/board/ and POST /api/v1/tickets/{ticket_key}/move/."""

import datetime

import pytest
from django.db import connection

from projects import hooks, services
from projects.models import Label, Role, Sprint, SprintState, Ticket, TicketEvent, WorkflowStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory, seed_board

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


def fill(project, user, count, status="todo", **fields):
    column = project.statuses.get(slug=status)
    return [
        services.ticket_create(project=project, reporter=user, title=f"T{i}", status=column, **fields)
        for i in range(count)
    ]


def board_url(project):
    return f"/api/v1/projects/{project.key}/board/"


def move_url(ticket):
    return f"/api/v1/tickets/{ticket.key}/move/"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_every_member_reads_the_board(api, project, member_of, role):
    user = member_of(project, role)
    WorkflowStatus.objects.filter(project=project, slug="in_progress").update(wip_limit=3)
    label = Label.objects.create(project=project, name="nlp")
    a, b = fill(project, user, 2, assignee=user, estimate=3, labels=[label])
    (c,) = fill(project, user, 1, status="in_progress", type="bug")

    response = api.as_user(user).get(board_url(project))

    assert response.status_code == 200
    columns = response.json()["columns"]
    assert [c["status"] for c in columns] == ["todo", "in_progress", "in_review", "done"]
    todo, doing = columns[0], columns[1]
    assert [t["key"] for t in todo["tickets"]] == [a.key, b.key]
    assert todo["tickets"][0] == {
        "key": a.key,
        "title": "T0",
        "type": "task",
        "priority": "medium",
        "assignee": user.username,
        "assignee_initials": user.initials,
        "estimate": 3,
        "labels": ["nlp"],
        "badges": [],
        "version": 1,
        "fields": {},
    }
    assert (doing["name"], doing["wip_limit"], doing["count"], doing["over_limit"]) == ("In progress", 3, 1, False)
    assert doing["tickets"][0]["key"] == c.key


def test_board_of_a_sprint_and_of_the_active_sprint(api, project, member_of):
    user = member_of(project)
    today = datetime.date.today()
    sprint = Sprint.objects.create(
        project=project, name="S1", start_date=today, end_date=today, state=SprintState.ACTIVE
    )
    planned = Sprint.objects.create(project=project, name="S2", start_date=today, end_date=today)
    (in_sprint,) = fill(project, user, 1, sprint=sprint)
    (in_planned,) = fill(project, user, 1, sprint=planned)
    (backlog,) = fill(project, user, 1)
    client = api.as_user(user)

    def keys(**query):
        body = client.get(board_url(project), query).json()
        return [t["key"] for column in body["columns"] for t in column["tickets"]]

    assert keys(sprint="active") == [in_sprint.key]
    assert keys(sprint=str(planned.pk)) == [in_planned.key]
    assert keys() == [in_sprint.key, in_planned.key, backlog.key]
    assert client.get(board_url(project), {"sprint": "nope"}).status_code == 400
    assert client.get(board_url(project), {"sprint": "9" * 30}).status_code == 400
    other = Sprint.objects.create(project=ProjectFactory(), name="X", start_date=today, end_date=today)
    assert client.get(board_url(project), {"sprint": str(other.pk)}).status_code == 400


def test_active_board_without_an_active_sprint_is_empty(api, project, member_of):
    user = member_of(project)
    fill(project, user, 2)
    body = api.as_user(user).get(board_url(project), {"sprint": "active"}).json()
    assert body["sprint"] is None
    assert [len(c["tickets"]) for c in body["columns"]] == [0, 0, 0, 0]


def test_non_member_gets_404_and_anonymous_401(api, project):
    assert api.get(board_url(project)).status_code == 401
    assert api.as_user(UserFactory()).get(board_url(project)).status_code == 404


@pytest.mark.parametrize("count", [10, 1000])
def test_board_api_query_budget_is_constant(api, project, member_of, django_assert_max_num_queries, count):
    user = member_of(project)
    labels = [Label.objects.create(project=project, name=f"l{i}") for i in range(3)]
    seed_board(project, user, None, labels, count)
    client = api.as_user(user)
    # 8 for the board, 2 for the experiments badges (run counts, gates): constant.
    with django_assert_max_num_queries(10):
        response = client.get(board_url(project))
    assert sum(len(c["tickets"]) for c in response.json()["columns"]) == count


@pytest.mark.parametrize("role,expected", [(Role.ADMIN, 200), (Role.MEMBER, 200), (Role.VIEWER, 403)])
def test_move_role_matrix(api, project, member_of, role, expected):
    user = member_of(project, role)
    a, _b = fill(project, user, 2)
    (x,) = fill(project, user, 1, status="in_progress")
    response = api.as_user(user).post(move_url(a), {"status": "in_progress", "after": x.key}, format="json")
    assert response.status_code == expected
    ticket = Ticket.objects.select_related("status").get(pk=a.pk)
    if expected == 200:
        assert response.json()["status"] == "in_progress" and response.json()["version"] == 2
        assert list(Ticket.objects.filter(status__slug="in_progress").values_list("key", flat=True)) == [x.key, a.key]
    else:
        assert ticket.status.slug == "todo" and ticket.version == 1


def test_move_non_member_404(api, project, member_of):
    (a,) = fill(project, member_of(project), 1)
    response = api.as_user(UserFactory()).post(move_url(a), {"status": "done"}, format="json")
    assert response.status_code == 404
    assert (
        api.as_user(UserFactory()).post("/api/v1/tickets/CV-999/move/", {"status": "done"}, format="json").status_code
        == 404
    )


def test_move_to_top_with_null_after(api, project, member_of):
    user = member_of(project)
    a, b, c = fill(project, user, 3)
    response = api.as_user(user).post(move_url(c), {"status": "todo", "after": None}, format="json")
    assert response.status_code == 200
    assert list(Ticket.objects.filter(status__slug="todo").values_list("key", flat=True)) == [c.key, a.key, b.key]


def test_move_bad_input_is_400_with_field_errors(api, project, member_of):
    user = member_of(project)
    a, _b = fill(project, user, 2)
    (x,) = fill(project, user, 1, status="in_progress")
    client = api.as_user(user)
    bad_status = client.post(move_url(a), {"status": "shipped"}, format="json")
    assert bad_status.status_code == 400 and "status" in bad_status.json()
    not_in_column = client.post(move_url(a), {"status": "todo", "after": x.key}, format="json")
    assert not_in_column.status_code == 400 and "after" in not_in_column.json()
    unknown_after = client.post(move_url(a), {"status": "todo", "after": "CV-999"}, format="json")
    assert unknown_after.status_code == 400 and "after" in unknown_after.json()
    missing = client.post(move_url(a), {}, format="json")
    assert missing.status_code == 400 and "status" in missing.json()
    assert Ticket.objects.get(pk=a.pk).version == 1


def test_move_stale_version_is_409_with_the_current_ticket(api, project, member_of):
    user = member_of(project)
    (a,) = fill(project, user, 1)
    client = api.as_user(user)
    assert client.post(move_url(a), {"status": "in_progress", "version": 1}, format="json").status_code == 200
    stale = client.post(move_url(a), {"status": "done", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["version"] == 2 and stale.json()["status"] == "in_progress"
    assert Ticket.objects.select_related("status").get(pk=a.pk).status.slug == "in_progress"


@pytest.fixture
def gate():
    def guard(ticket, user):
        return ["accuracy 0.7 < 0.9"]

    hooks.register_finish_guard(guard)
    yield
    hooks.finish_guards.remove(guard)


def test_move_refused_by_a_gate_and_admin_override(api, project, member_of, gate):
    member = member_of(project, Role.MEMBER)
    admin = member_of(project, Role.ADMIN)
    (a,) = fill(project, member, 1)
    refused = api.as_user(member).post(move_url(a), {"status": "done"}, format="json")
    assert refused.status_code == 400 and refused.json() == {"status": ["accuracy 0.7 < 0.9"]}
    member_override = api.as_user(member).post(move_url(a), {"status": "done", "override_reason": "pls"}, format="json")
    assert member_override.status_code == 400 and "override_reason" in member_override.json()
    done = api.as_user(admin).post(move_url(a), {"status": "done", "override_reason": "Checked by hand"}, format="json")
    assert done.status_code == 200 and Ticket.objects.get(pk=a.pk).finished_at
    assert TicketEvent.objects.get(ticket=a, kind=TicketEvent.Kind.GATE_OVERRIDE).data["reason"] == "Checked by hand"


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def sql_statements(captured) -> list[str]:
    """The statements sent, without transaction control (Django logs BEGIN, COMMIT and the
    test transaction's SAVEPOINTs as queries too)."""
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def test_a_move_costs_three_statements_whatever_the_column_length(api, member_of, django_assert_max_num_queries):
    """On PostgreSQL: the token; the ticket and its project locked, with the access check;
    its place (anchor, status and the next card by an index probe from the anchor's rank)
    and the write with its history line (services/board_sql.py): the same three statements
    at 20 and 2,000 cards a column. The ORM path (SQLite) stays within the budget of 6."""
    expected = 3 if connection.vendor == "postgresql" else 6
    counts = {}
    for key, column in (("CV", 20), ("BIG", 2000)):
        project = ProjectFactory(key=key)
        user = member_of(project)
        label = Label.objects.create(project=project, name="nlp")
        seeded = seed_board(project, user, None, [label], column * 4)  # four columns, `column` cards each
        in_progress = [t for t in seeded if t.status.slug == "in_progress"]
        anchor, following = in_progress[column * 3 // 4], in_progress[column * 3 // 4 + 1]
        moving = next(t for t in seeded if t.status.slug == "todo")
        client = api.as_user(user)
        client.get(board_url(project))  # the token's first use is recorded (then once a minute)
        with django_assert_max_num_queries(8) as captured:  # the statements + SAVEPOINT, RELEASE
            response = client.post(move_url(moving), {"status": "in_progress", "after": anchor.key}, format="json")
        assert response.status_code == 200, response.content
        statements = sql_statements(captured)
        counts[column] = len(statements)
        assert not any(" OR " in sql for sql in statements)  # no scan of the column up to the anchor
        order = list(
            Ticket.objects.filter(project=project, status__slug="in_progress")
            .order_by("rank", "id")
            .values_list("key", flat=True)
        )
        assert order[order.index(anchor.key) + 1] == moving.key
        assert order[order.index(moving.key) + 1] == following.key
        # What the board uses, not the whole ticket (the contract's floor: key, status, version).
        moved = Ticket.objects.get(pk=moving.pk)
        assert response.json() == {
            "key": moving.key,
            "status": "in_progress",
            "rank": moved.rank,
            "version": 2,
            "revision": response.json()["revision"],
        }
        event = TicketEvent.objects.get(ticket=moving, kind=TicketEvent.Kind.MOVED)
        assert (event.actor, event.old_value, event.new_value) == (user, "todo", "in_progress")

        with django_assert_max_num_queries(8) as captured:  # to the top: the status and its first card
            top = client.post(move_url(following), {"status": "todo", "after": None}, format="json")
        assert top.status_code == 200 and len(sql_statements(captured)) == expected
        first = Ticket.objects.filter(project=project, status__slug="todo").order_by("rank", "id")[0]
        assert first.key == following.key
    assert counts[20] == counts[2000] == expected, counts


def test_board_api_sends_the_same_short_sql_at_any_size(api, member_of, django_assert_max_num_queries):
    """Labels and badges (runs, gates) are joined on the board's project and sprint, never
    asked with the list of its ticket ids: 1,000 cards cost the same statements as 10."""
    longest, counts = {}, {}
    for key, count in (("CV", 10), ("BIG", 1000)):
        project = ProjectFactory(key=key)
        user = member_of(project)
        seed_board(project, user, None, [Label.objects.create(project=project, name="nlp")], count)
        client = api.as_user(user)
        client.get(board_url(project))
        with django_assert_max_num_queries(10) as captured:
            response = client.get(board_url(project))
        assert sum(len(c["tickets"]) for c in response.json()["columns"]) == count
        counts[count] = len(captured)
        longest[count] = max(len(q["sql"]) for q in captured.captured_queries)
    assert counts[10] == counts[1000]
    assert longest[1000] < longest[10] + 100, longest  # an id list would add ~6 characters a card


def test_board_json_is_gzipped_when_accepted_and_pages_never_are(api, client, member_of):
    import gzip
    import json

    project = ProjectFactory(key="CV")
    user = member_of(project)
    seed_board(project, user, None, [Label.objects.create(project=project, name="nlp")], 200)
    reader = api.as_user(user)
    plain = reader.get(board_url(project))
    packed = reader.get(board_url(project), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"] and int(packed["Content-Length"]) < len(plain.content) / 5
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    client.force_login(user)
    page = client.get(f"/projects/{project.key}/board/", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200 and "Content-Encoding" not in page  # HTML holds the CSRF token: BREACH

"""A sprint's history (burndown, sprint figures, velocity, the health's burndown rule) reads
the sprint moves through their own indexes, not a scan of every project's history: its cost
follows the sprint, not the size of the history table (issue 12, target 6)."""

import datetime

import pytest
from django.db import connection

from projects import services
from projects.models import Role, TicketEvent
from projects.selectors import sprints
from tests.projects.factories import MembershipFactory, ProjectFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


def test_the_sprint_history_reads_its_moves_through_indexes():
    require_postgres()
    project = ProjectFactory()
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    today = datetime.date.today()
    sprint = services.sprint_create(
        project=project, name="S1", start_date=today, end_date=today + datetime.timedelta(days=13)
    )
    other = services.sprint_create(
        project=project, name="S2", start_date=today, end_date=today + datetime.timedelta(days=13)
    )
    tickets = [
        services.ticket_create(project=project, reporter=admin, title=f"T{n}", estimate=3, sprint=sprint)
        for n in range(3)
    ]
    services.ticket_update(ticket=tickets[0], user=admin, sprint=other)  # moved out: found by the move's data
    for n in range(300):  # the rest of the history, none of it sprint moves
        TicketEvent.objects.create(ticket=tickets[n % 3], kind="changed", field="title", new_value=f"v{n}")
    history, moves = sprints._read_history([sprint.pk])
    assert sorted(t["id"] for t in history) == sorted(t.pk for t in tickets)
    assert [(old, new) for _, old, new in moves[tickets[0].pk]][-1] == (sprint.pk, other.pk)

    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        sprints._read_history([sprint.pk])
    ((sql, params),) = statements
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TicketEvent._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on projects_ticketevent" not in plan, plan
    # Every read of the history table goes through an index of sprint moves alone (a full
    # scan of another index would not be a Seq Scan, but would read every project's history).
    reads = [line for line in plan.splitlines() if "on projects_ticketevent" in line]
    assert reads and all("ticket_event_sprint_" in line for line in reads), plan

"""The sprint page's backlog column (tickets outside any sprint, by rank) reads the
(project, sprint, rank) index in order instead of sorting every such ticket (issue 12,
target 6)."""

import pytest
from django.db import connection

from projects import selectors
from projects.models import Ticket
from tests.projects.factories import ProjectFactory, TicketFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


def test_tickets_outside_sprints_come_in_rank_order_through_the_index():
    require_postgres()
    project = ProjectFactory()
    made = [TicketFactory(project=project) for _ in range(4)]
    filters = selectors.TicketFilters(sprint="backlog")
    tickets = selectors.backlog_tickets(project=project, filters=filters)
    assert [t.pk for t in tickets] == [t.pk for t in sorted(made, key=lambda t: (t.rank, t.pk))]
    # A backlog of some size, with statistics: on four rows every index costs the same and
    # the planner's pick between them is a coin toss.
    first = made[-1]
    Ticket.objects.bulk_create(
        Ticket(
            project=project,
            number=n,
            key=f"{project.key}-{n}",
            title="More",
            status=first.status,
            reporter=first.reporter,
            rank=first.rank + n,
        )
        for n in range(10, 410)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    sql, params = selectors.backlog_tickets(project=project, filters=filters)[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_sprint_order" in plan and "\n   ->  Sort " not in plan, plan

"""The backlog page costs the same number of SQL queries for 10 tickets and for 1,000."""
import pytest
from django.utils import timezone

from projects.models import Label, Role, Ticket
from tests.factories import MembershipFactory, ProjectFactory
from tests.projects.planning_factories import SprintFactory

pytestmark = pytest.mark.django_db

BACKLOG_QUERY_BUDGET = 16


def _bulk_tickets(project, count, *, start, assignee, labels, sprint):
    todo = project.statuses.get(slug="todo")
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(project=project, number=n, key=f"{project.key}-{n}", title=f"Ticket {n}", status=todo,
               assignee=assignee if n % 2 else None, estimate=n % 8, rank=n * 1000, sprint=sprint if n % 3 else None,
               created_at=now)
        for n in range(start, start + count)
    )
    Ticket.labels.through.objects.bulk_create(
        Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % len(labels)].pk) for i, t in enumerate(tickets)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_backlog_page_query_count_is_constant(client, django_assert_max_num_queries, count):
    project = ProjectFactory(key="BL")
    pm = MembershipFactory(project=project, role=Role.MEMBER).user
    labels = Label.objects.bulk_create(Label(project=project, name=f"l{i}") for i in range(4))
    _bulk_tickets(project, count, start=1, assignee=pm, labels=labels, sprint=SprintFactory(project=project))
    client.force_login(pm)
    with django_assert_max_num_queries(BACKLOG_QUERY_BUDGET):
        response = client.get("/projects/BL/backlog/")
    assert response.status_code == 200
    assert response.content.decode().count('class="backlog-row"') == min(count, 100)
    with django_assert_max_num_queries(BACKLOG_QUERY_BUDGET):
        filtered = client.get("/projects/BL/backlog/?label=l1&q=Ticket&page=2", HTTP_HX_REQUEST="true")
    assert filtered.status_code == 200

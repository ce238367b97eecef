"""The backlog page costs the same number of SQL queries for 10 tickets and for 1,000."""

import pytest
from django.utils import timezone

from projects.models import Label, Role, Ticket
from projects.views.backlog import PAGE_SIZE
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory

pytestmark = pytest.mark.django_db

BACKLOG_QUERY_BUDGET = 9  # measured: the rows carry the count (15 before); the filters' choices one query (14 before)


def _bulk_tickets(project, count, *, start, assignee, labels, sprint):
    todo = project.statuses.get(slug="todo")
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            project=project,
            number=n,
            key=f"{project.key}-{n}",
            title=f"Ticket {n}",
            status=todo,
            assignee=assignee if n % 2 else None,
            estimate=n % 8,
            rank=n * 1000,
            sprint=sprint if n % 3 else None,
            created_at=now,
        )
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
    assert response.content.decode().count('class="backlog-row"') == min(count, PAGE_SIZE)
    with django_assert_max_num_queries(BACKLOG_QUERY_BUDGET):
        filtered = client.get("/projects/BL/backlog/?label=l1&q=Ticket&page=2", HTTP_HX_REQUEST="true")
    assert filtered.status_code == 200


def _ticket_with_activity(project, user, n):
    from projects import services
    from tests.projects.factories import TicketFactory

    parent = TicketFactory(project=project, title="Epic", reporter=user)
    ticket = TicketFactory(project=project, title="Busy ticket", reporter=user, parent=parent)
    for i in range(n):
        services.comment_create(ticket=ticket, author=user, body=f"Comment {i} on CV-1 @{user.username}")
        services.ticket_update(ticket=ticket, user=user, title=f"Busy ticket {i}")
        child = TicketFactory(project=project, title=f"Sub-task {i}", reporter=user, parent=ticket, assignee=user)
        services.relation_add(ticket=ticket, other=child, kind="relates_to", user=user)
    return ticket


@pytest.mark.parametrize("activity", [1, 25])
def test_ticket_page_query_count_is_constant(client, django_assert_max_num_queries, activity):
    project = ProjectFactory(key="TP")
    pm = MembershipFactory(project=project, role=Role.ADMIN).user
    ticket = _ticket_with_activity(project, pm, activity)
    client.force_login(pm)
    with django_assert_max_num_queries(16):
        response = client.get(f"/projects/TP/tickets/{ticket.key}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="comment"') == activity


@pytest.mark.parametrize("count", [10, 300])
def test_sprint_page_query_count_is_constant(client, django_assert_max_num_queries, count):
    project = ProjectFactory(key="SP")
    pm = MembershipFactory(project=project, role=Role.ADMIN).user
    labels = Label.objects.bulk_create(Label(project=project, name=f"l{i}") for i in range(3))
    sprint = SprintFactory(project=project, capacity=40)
    _bulk_tickets(project, count, start=1, assignee=pm, labels=labels, sprint=sprint)
    from projects import services

    services.sprint_start(sprint=sprint)
    client.force_login(pm)
    with django_assert_max_num_queries(9):  # 13; 11 (unused forms, Start check); header; sprint history
        response = client.get(f"/projects/SP/sprints/{sprint.pk}/")
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/projects/SP/sprints/").status_code == 200

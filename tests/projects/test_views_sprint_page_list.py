"""The sprint page lists the sprint's first tickets and links to all of them in the
backlog (issue 12, target 6: a 1,000-ticket sprint is not one list)."""

import re

import pytest

from projects.models import Role, Ticket
from projects.views.sprints import SPRINT_LIST_SIZE
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory

pytestmark = pytest.mark.django_db


def test_a_long_sprint_lists_its_first_tickets_and_links_to_the_rest(client):
    project = ProjectFactory(key="SL")
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    sprint = SprintFactory(project=project)
    status = project.statuses.order_by("position").first()
    count = SPRINT_LIST_SIZE + 7
    Ticket.objects.bulk_create(
        Ticket(
            project=project,
            number=n,
            key=f"SL-{n}",
            title=f"T{n}",
            status=status,
            sprint=sprint,
            reporter=admin,
            rank=n * 1000,
            estimate=1,
        )
        for n in range(1, count + 1)
    )
    client.force_login(admin)
    html = client.get(f"/projects/SL/sprints/{sprint.pk}/").content.decode()
    listed = re.search(r'<ul class="plan-list" role="list" id="sprint-tickets">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'<li data-key="(SL-\d+)"', listed) == [f"SL-{n}" for n in range(1, SPRINT_LIST_SIZE + 1)]
    assert f'href="/projects/SL/backlog/?sprint={sprint.pk}">All {count} tickets of this sprint' in html
    # One form per list: the pressed button sends its own ticket.
    assert listed.count("<form") == 0 and html.count('name="action" value="remove"') == 1
    assert 'name="ticket" value="SL-1" aria-label="Remove SL-1 from the sprint"' in listed


def test_the_backlog_column_lists_the_top_unplanned_tickets_and_reads_no_labels(client):
    from django.db import connection

    from projects.selectors.sprints import sprint_candidates
    from projects.views.sprints import PLANNING_BACKLOG_SIZE
    from tests.projects.factories import TicketFactory

    project = ProjectFactory(key="SC")
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    sprint = SprintFactory(project=project)
    TicketFactory(project=project, sprint=sprint, title="Planned")
    made = [TicketFactory(project=project, title=f"Idea {n}", estimate=n, labels=["nlp"]) for n in range(3)]
    seen = []
    with connection.execute_wrapper(lambda execute, sql, *rest: seen.append(sql) or execute(sql, *rest)):
        candidates = sprint_candidates(project=project, limit=PLANNING_BACKLOG_SIZE)
    assert [(t.key, t.title, t.estimate) for t in candidates] == [(t.key, t.title, t.estimate) for t in made]
    assert len(seen) == 1 and "projects_label" not in seen[0], seen
    client.force_login(admin)
    html = client.get(f"/projects/SC/sprints/{sprint.pk}/").content.decode()
    column = re.search(r'<ul class="plan-list" role="list" id="sprint-candidates">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'<li data-key="(SC-\d+)"', column) == [t.key for t in made]
    assert 'aria-label="Add SC-2 to the sprint"' in column and "Idea 2" in column

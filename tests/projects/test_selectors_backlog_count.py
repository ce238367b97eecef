"""The backlog's count (the number above the list, and its pages) is counted without joining
every ticket to its sprint (issue 12, target 6): the same number as the list it heads."""

import pytest
from django.db import connection

from projects import selectors
from projects.models import Role, Sprint, SprintState
from projects.selectors.tickets import backlog_count
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _project():
    project = ProjectFactory(key="BC")
    done = SprintFactory(project=project)
    active = SprintFactory(project=project, state=SprintState.ACTIVE)
    other = SprintFactory(project=ProjectFactory(key="OT"))
    for sprint, n in ((None, 3), (done, 2), (active, 4)):
        for i in range(n):
            TicketFactory(project=project, sprint=sprint, title=f"Ticket {i}", type="bug" if i % 2 else "task")
    TicketFactory(project=other.project, sprint=other)  # another project's: never counted
    Sprint.objects.filter(pk__in=[done.pk, other.pk]).update(state=SprintState.COMPLETED)
    return project


@pytest.mark.parametrize(
    "query",
    [{}, {"sprint": "backlog"}, {"type": "bug"}, {"sprint": "active"}, {"q": "Ticket 1"}],
)
def test_the_count_is_the_number_of_tickets_the_backlog_lists(query):
    project = _project()
    filters = selectors.TicketFilters.from_query(query)
    listed = len(list(selectors.backlog_tickets(project=project, filters=filters)))
    assert backlog_count(project=project, filters=filters) == listed
    if not query:
        assert listed == 7  # not the two in the completed sprint, nor the other project's


def test_the_page_says_how_many_and_the_unfiltered_count_joins_no_sprint(client):
    project = _project()
    user = MembershipFactory(project=project, role=Role.MEMBER).user
    client.force_login(user)
    response = client.get("/projects/BC/backlog/")
    assert "7 tickets" in response.content.decode()
    assert "2 tickets" in client.get("/projects/BC/backlog/?type=bug&sprint=active").content.decode()
    seen = []
    with connection.execute_wrapper(lambda execute, sql, *rest: seen.append(sql) or execute(sql, *rest)):
        backlog_count(project=project, filters=selectors.TicketFilters())
    assert len(seen) == 1 and "JOIN" not in seen[0], seen


def test_the_page_reads_its_count_with_its_rows_and_a_page_past_the_end_shows_the_last(client):
    project = _project()  # 7 in the backlog
    for i in range(50):
        TicketFactory(project=project, title=f"More {i}")
    client.force_login(MembershipFactory(project=project, role=Role.MEMBER).user)
    first = client.get("/projects/BC/backlog/").content.decode()
    assert "57 tickets" in first and first.count('class="backlog-row"') == 50
    second = client.get("/projects/BC/backlog/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert second.count('class="backlog-row"') == 7 and "load-more" not in second
    past = client.get("/projects/BC/backlog/?page=9").content.decode()  # the last page, as the paginator answers
    assert "57 tickets" in past and past.count('class="backlog-row"') == 7
    assert "2 tickets" in client.get("/projects/BC/backlog/?type=bug&sprint=active&page=4").content.decode()

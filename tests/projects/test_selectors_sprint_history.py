"""A sprint's history reads each ticket once (issue 12, target 6): the tickets in the sprints
now and those moved out of them are disjoint sides of a UNION ALL, so a ticket moved into
a sprint and still there, or moved between two of the sprints read, is not listed twice."""

from collections import Counter

import pytest

from projects import services
from projects.selectors.sprints import _read_history
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_each_ticket_once_with_its_moves():
    project = ProjectFactory()
    user = MembershipFactory(project=project).user
    a, b = SprintFactory(project=project, name="A"), SprintFactory(project=project, name="B")
    born_in_a = TicketFactory(project=project, estimate=1, sprint=a)
    added_to_a = TicketFactory(project=project, estimate=2)
    moved_to_b = TicketFactory(project=project, estimate=3)
    only_b = TicketFactory(project=project, estimate=5, sprint=b)
    TicketFactory(project=project, estimate=0, sprint=a)  # no points: not read
    services.sprint_add_tickets(sprint=a, tickets=[added_to_a, moved_to_b], user=user, project=project)
    services.sprint_add_tickets(sprint=b, tickets=[moved_to_b], user=user, project=project)

    tickets, moves = _read_history([a.pk])
    assert Counter(t["id"] for t in tickets) == Counter([born_in_a.pk, added_to_a.pk, moved_to_b.pk])
    assert [(old, new) for _, old, new in moves[moved_to_b.pk]] == [(None, a.pk), (a.pk, b.pk)]
    assert [(old, new) for _, old, new in moves[added_to_a.pk]] == [(None, a.pk)]

    tickets, moves = _read_history([a.pk, b.pk])
    assert Counter(t["id"] for t in tickets) == Counter([born_in_a.pk, added_to_a.pk, moved_to_b.pk, only_b.pk])
    assert {t["id"]: t["sprint_id"] for t in tickets}[moved_to_b.pk] == b.pk
    assert len(moves[moved_to_b.pk]) == 2

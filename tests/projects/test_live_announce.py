"""announce() uses what it is told: once the write commits the project's revision moves,
the change is counted by kind and logged with the ticket's key; a rolled back write
announces nothing."""

import logging

import pytest
from django.db import transaction

from projects import live, services
from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _count(kind: str) -> float:
    return live.ANNOUNCEMENTS.labels(kind)._value.get()


def test_a_move_is_counted_by_kind_and_logged_with_its_ticket(django_capture_on_commit_callbacks, caplog):
    project = ProjectFactory(key="CV")
    user = MembershipFactory(project=project, role=Role.MEMBER).user
    ticket = services.ticket_create(project=project, reporter=user, title="Train")
    before, revision = _count("ticket.moved"), live.project_revision(project.pk) or 0
    with caplog.at_level(logging.DEBUG, logger="projects.live"), django_capture_on_commit_callbacks(execute=True):
        services.ticket_move(ticket=ticket, user=user, status="in_progress")
    assert _count("ticket.moved") == before + 1
    assert live.project_revision(project.pk) == revision + 1
    assert any("ticket.moved of CV-1" in record.getMessage() for record in caplog.records)


def test_a_rolled_back_write_announces_nothing(django_capture_on_commit_callbacks):
    project = ProjectFactory(key="CV")
    before = _count("sprint.created")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.sprint_create(project=project, name="S", start_date="2026-01-05", end_date="2026-01-16")
        raise RuntimeError
    assert not callbacks and _count("sprint.created") == before

"""One rule picks a partial (aihub/htmx.py): an htmx request gets the region it swaps, a
boosted request or a history restore after Back gets the whole page."""

import pytest
from django.urls import reverse

from projects import services
from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BOOSTED = {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true"}
RESTORE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


@pytest.fixture
def pages(client):
    project = ProjectFactory()
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    sprint = services.sprint_create(
        project=project, name="Sprint A", start_date="2026-01-05", end_date="2026-01-16", capacity=10
    )
    ticket = services.ticket_create(project=project, reporter=member, title="A ticket")
    client.force_login(member)
    return {
        "backlog": (reverse("projects:backlog", args=[project.key]), 'id="backlog-list"'),
        "sprint": (reverse("projects:sprint", args=[project.key, sprint.pk]), 'id="sprint-planning"'),
        "ticket": (reverse("projects:ticket", args=[project.key, ticket.key]), 'id="ticket-body"'),
        "board": (reverse("projects:board", args=[project.key]), 'id="board"'),
        "dashboard": (reverse("projects:dashboard", args=[project.key]), 'id="dashboard"'),
    }


@pytest.mark.parametrize("name", ["backlog", "sprint", "ticket", "board", "dashboard"])
def test_htmx_gets_the_region_and_boost_or_history_restore_the_page(client, pages, name):
    url, region = pages[name]
    partial = client.get(url, **HTMX).content.decode()
    assert region in partial and "<html" not in partial
    for headers in ({}, BOOSTED, RESTORE):
        page = client.get(url, **headers).content.decode()
        assert "<html" in page and region in page

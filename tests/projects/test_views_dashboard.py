import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Priority, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _project_with_sprint(n_tickets):
    project = ProjectFactory()
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    today = timezone.localdate()
    sprint = services.sprint_create(
        project=project,
        name="Sprint A",
        start_date=today - datetime.timedelta(days=3),
        end_date=today + datetime.timedelta(days=4),
        capacity=40,
    )
    for i in range(n_tickets):
        services.ticket_create(
            project=project,
            reporter=admin,
            title=f"Ticket {i}",
            estimate=2,
            sprint=sprint,
            priority=Priority.URGENT if i == 0 else Priority.MEDIUM,
            due_date=today - datetime.timedelta(days=1) if i == 0 else None,
        )
    services.sprint_start(sprint=sprint, user=admin)
    return project, admin


def test_dashboard_shows_counts_and_the_active_sprint_burndown(client):
    project, _ = _project_with_sprint(3)
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    client.force_login(viewer)
    response = client.get(reverse("projects:dashboard", args=[project.key]), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert re.search(r'id="stat-open"><a [^>]*>3<', page) and re.search(r'id="stat-overdue"><a [^>]*>1<', page)
    data = page.split('id="burndown-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    burndown = json.loads(data)
    assert burndown["ideal"][0]["remaining_points"] == 6
    assert "Sprint A" in page


def test_dashboard_is_a_hub_section_and_a_page(client):
    project, admin = _project_with_sprint(1)
    client.force_login(admin)
    hub = client.get(reverse("projects:hub", args=[project.key])).content.decode()
    assert reverse("projects:dashboard", args=[project.key]) in hub
    page = client.get(reverse("projects:dashboard", args=[project.key])).content.decode()
    assert "<html" in page and "burndown-chart" in page


def test_non_member_gets_404(client):
    project, _ = _project_with_sprint(1)
    client.force_login(UserFactory())
    assert client.get(reverse("projects:dashboard", args=[project.key])).status_code == 404


def test_dashboard_costs_constant_queries(client, django_assert_max_num_queries):
    small, admin_small = _project_with_sprint(2)
    big, admin_big = _project_with_sprint(60)
    for project, admin in ((small, admin_small), (big, admin_big)):
        client.force_login(admin)
        with django_assert_max_num_queries(7):  # 8 before the active and recent sprints were one query
            assert (
                client.get(reverse("projects:dashboard", args=[project.key]), HTTP_HX_REQUEST="true").status_code == 200
            )

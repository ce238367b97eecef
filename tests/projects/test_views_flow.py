"""The dashboard's flow sections (cumulative flow, cycle time): registered on the dashboard,
seen by viewers, 404 for non-members, the range choice, the chart data and the table, and
the same number of queries for 10 tickets and 1,000 with their history."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import hooks, services
from projects.models import Role, Ticket, TicketEvent
from tests.accounts.factories import UserFactory
from tests.projects.factories import LabelFactory, MembershipFactory, ProjectFactory, seed_board

pytestmark = pytest.mark.django_db


def chart_data(page: str, script_id: str):
    return json.loads(page.split(f'id="{script_id}" type="application/json">', 1)[1].split("</script>", 1)[0])


def project_with_history(count: int):
    """`count` tickets spread over the columns, created 40 days ago, each with two moves in
    the last 20 days."""
    project = ProjectFactory()
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    tickets = seed_board(project, None, None, [LabelFactory(project=project)], count)
    statuses = list(project.statuses.order_by("position"))
    now = timezone.now()
    Ticket.objects.filter(project=project).update(created_at=now - datetime.timedelta(days=40))
    events, moments = [], []
    for i, ticket in enumerate(tickets):
        current = statuses[i % len(statuses)].slug
        for step, (old, new) in enumerate((("todo", "in_progress"), ("in_progress", current))):
            events.append(
                TicketEvent(ticket=ticket, kind=TicketEvent.Kind.MOVED, field="status", old_value=old, new_value=new)
            )
            moments.append(now - datetime.timedelta(days=20 - i % 15 - step * 3))
    TicketEvent.objects.bulk_create(events)
    for event, moment in zip(events, moments, strict=True):  # bulk_create stamped them now (auto_now_add)
        event.created_at = moment
    TicketEvent.objects.bulk_update(events, ["created_at"], batch_size=1000)
    finished = [t.pk for t in tickets if t.status.is_finished]
    Ticket.objects.filter(pk__in=finished).update(finished_at=now - datetime.timedelta(days=2))
    return project, viewer


def test_the_flow_sections_are_dashboard_sections():
    names = {entry["name"]: entry["url_name"] for entry in hooks.dashboard_sections}
    assert names["flow"] == "projects:flow_section" and names["cycle_time"] == "projects:cycle_time_section"


def test_a_viewer_sees_the_cumulative_flow_with_its_table(client):
    project, viewer = project_with_history(8)
    client.force_login(viewer)

    response = client.get(reverse("projects:flow_section", args=[project.key]), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    chart = chart_data(page, "flow-chart-data")
    assert len(chart["labels"]) == 30 and [s["label"] for s in chart["series"]] == [
        "To do",
        "In progress",
        "In review",
        "Done",
    ]
    assert [s["data"][-1] for s in chart["series"]] == [2, 2, 2, 2]  # today: the board
    assert page.count("<tr>") == 31 and 'data-pm-chart="flow"' in page and "js/charts.js" in page


def test_the_flow_range_can_be_the_active_sprint_or_a_number_of_days(client):
    project, viewer = project_with_history(4)
    client.force_login(viewer)
    url = reverse("projects:flow_section", args=[project.key])

    assert len(chart_data(client.get(url, {"range": "14"}).content.decode(), "flow-chart-data")["labels"]) == 14
    page = client.get(url, {"range": "sprint"}).content.decode()
    assert "No active sprint: showing the last 30 days." in page
    assert len(chart_data(page, "flow-chart-data")["labels"]) == 30
    page = client.get(url, {"range": "<script>"}).content.decode()
    assert "Unknown range: showing the last 30 days." in page and "<script>" not in page

    today = timezone.localdate()
    sprint = services.sprint_create(
        project=project,
        name="S",
        start_date=today - datetime.timedelta(days=3),
        end_date=today + datetime.timedelta(days=10),
    )
    services.sprint_start(sprint=sprint, user=MembershipFactory(project=project, role=Role.ADMIN).user)
    chart = chart_data(client.get(url, {"range": "sprint"}).content.decode(), "flow-chart-data")
    assert chart["labels"][0] == today.isoformat() and len(chart["labels"]) == 1  # started today, until today


def test_a_viewer_sees_the_cycle_times(client):
    project, viewer = project_with_history(8)
    client.force_login(viewer)

    page = client.get(reverse("projects:cycle_time_section", args=[project.key])).content.decode()

    chart = chart_data(page, "cycle-chart-data")
    assert sum(chart["counts"]) == 2 and len(chart["labels"]) == 8
    assert 'id="cycle-median"' in page and page.count('<th scope="row">') == 8


def test_non_members_get_404(client):
    project, _ = project_with_history(2)
    client.force_login(UserFactory())
    for name in ("projects:flow_section", "projects:cycle_time_section"):
        assert client.get(reverse(name, args=[project.key])).status_code == 404


@pytest.mark.parametrize(
    ("name", "params", "budget"),
    [
        # session, user, project, statuses, the moves counted, the tickets counted
        ("projects:flow_section", {}, 6),
        ("projects:flow_section", {"range": "sprint"}, 7),  # and the active sprint
        # session, user, project, statuses, the finished tickets with their start
        ("projects:cycle_time_section", {}, 5),
    ],
)
def test_each_section_costs_the_same_queries_for_10_and_1000_tickets(
    client, django_assert_max_num_queries, name, params, budget
):
    for count in (10, 1000):
        project, viewer = project_with_history(count)
        client.force_login(viewer)
        with django_assert_max_num_queries(budget):
            response = client.get(reverse(name, args=[project.key]), params, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and "data-pm-chart" in response.content.decode()

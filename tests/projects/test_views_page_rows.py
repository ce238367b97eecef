"""What each row of the backlog and the table behind the sprint's burndown show, now that
their values are looked up once a page instead of once a row (issue 12, target 6)."""

import datetime
import re

import pytest
from django.utils import timezone

from projects import services
from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_a_backlog_row_shows_link_labels_type_priority_status_assignee_points_and_sprint(client):
    project = ProjectFactory(key="RW")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    sprint = SprintFactory(project=project, name="Sprint Nine")
    ticket = TicketFactory(
        project=project,
        title="Label the <eval> split",
        type="bug",
        priority="urgent",
        estimate=5,
        labels=["nlp", "data"],
        assignee=member,
        sprint=sprint,
    )
    client.force_login(member)
    for response in (
        client.get("/projects/RW/backlog/"),
        client.get("/projects/RW/backlog/?page=1", HTTP_HX_REQUEST="true"),
    ):
        html = response.content.decode()
        row = re.search(rf'<tr id="ticket-{ticket.key}".*?</tr>', html, re.S).group(0)
        url = f"/projects/RW/tickets/{ticket.key}/"
        assert f'<a class="key" href="{url}">{ticket.key}</a>' in row
        assert f'<a href="{url}">Label the &lt;eval&gt; split</a>' in row
        assert re.findall(r'<span class="badge label-badge" data-label-color="[^"]*">(\w+)</span>', row) == [
            "data",
            "nlp",
        ]
        assert '<span class="badge type-bug">Bug</span>' in row
        assert '<span class="priority priority-urgent">Urgent</span>' in row
        assert f'title="{member.label}">{member.initials}</span>' in row
        assert "<td>5</td>" in row
        assert f'<a href="/projects/RW/sprints/{sprint.pk}/">Sprint Nine</a>' in row


def test_the_burndown_table_lists_every_day_with_its_remaining_and_ideal_points(client):
    project = ProjectFactory(key="BT")
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    today = timezone.localdate()
    sprint = SprintFactory(project=project, start_date=today, end_date=today + datetime.timedelta(days=2))
    TicketFactory(project=project, sprint=sprint, estimate=4)
    services.sprint_start(sprint=sprint)
    client.force_login(admin)
    html = client.get(f"/projects/BT/sprints/{sprint.pk}/").content.decode()
    table = html.split('<section class="card" id="burndown">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table)
    assert [(remaining, ideal) for _day, remaining, ideal in rows] == [("4", "4.0"), ("", "2.0"), ("", "0.0")]

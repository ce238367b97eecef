"""Issue 11, item 16: the dashboard's tiles (open, overdue, urgent) open the backlog filtered
to exactly the tickets they count, and the page says "Dashboard" once."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Priority, Role
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_and_member(client):
    project = ProjectFactory(key="TIL")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    today = timezone.localdate()
    done = project.statuses.get(slug="done")
    yesterday, tomorrow = today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)
    make = lambda title, **fields: services.ticket_create(project=project, reporter=member, title=title, **fields)  # noqa: E731
    make("Open, due tomorrow", due_date=tomorrow)
    make("Open and overdue", due_date=yesterday)
    make("Urgent and overdue", priority=Priority.URGENT, due_date=yesterday)
    make("Urgent, no date", priority=Priority.URGENT)
    make("Done but was due", status=done, due_date=yesterday)
    make("Done and urgent", status=done, priority=Priority.URGENT)
    client.force_login(member)
    return project


def tile(page, stat_id):
    """The number a tile shows and where its link goes."""
    match = re.search(rf'id="{stat_id}"><a class="stat-link" href="([^"]+)">(\d+)<', page)
    assert match, f"tile {stat_id} is not a link"
    return int(match.group(2)), unescape(match.group(1))


def backlog_titles(client, url):
    page = client.get(url).content.decode()
    return sorted(re.findall(r'class="backlog-row">.*?<td><a href="[^"]+">([^<]+)</a>', page, re.S))


def test_each_tile_opens_the_backlog_filtered_to_the_tickets_it_counts(client, project_and_member):
    project = project_and_member
    page = client.get(reverse("projects:dashboard", args=[project.key])).content.decode()

    count, url = tile(page, "stat-open")
    assert url == reverse("projects:backlog", args=[project.key]) + "?open=1"
    assert backlog_titles(client, url) == [
        "Open and overdue",
        "Open, due tomorrow",
        "Urgent and overdue",
        "Urgent, no date",
    ]
    assert count == 4

    count, url = tile(page, "stat-overdue")
    assert backlog_titles(client, url) == ["Open and overdue", "Urgent and overdue"]
    assert count == 2

    count, url = tile(page, "stat-urgent")
    assert backlog_titles(client, url) == ["Urgent and overdue", "Urgent, no date"]
    assert count == 2


def test_the_filtered_backlog_shows_its_filters_checked_and_a_clear_link(client, project_and_member):
    project = project_and_member
    page = client.get(reverse("projects:backlog", args=[project.key]) + "?overdue=1").content.decode()
    assert re.search(r'<input type="checkbox" id="f-overdue" name="overdue" value="1" checked>', page)
    assert "1 active" in page  # the collapsed "Filters" button says a filter is on
    assert f'href="{reverse("projects:backlog", args=[project.key])}">Clear</a>' in page


def test_the_api_filters_open_and_overdue_tickets_too(client, project_and_member):
    project = project_and_member
    response = client.get(f"/api/v1/projects/{project.key}/tickets/?overdue=1")
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert sorted(t["title"] for t in rows) == ["Open and overdue", "Urgent and overdue"]


def test_the_dashboard_page_says_dashboard_once(client, project_and_member):
    project = project_and_member
    page = client.get(reverse("projects:dashboard", args=[project.key])).content.decode()
    headings = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", page, re.S)
    assert [h for h in headings if re.sub(r"<[^>]+>", "", h).strip() == "Dashboard"] == ["Dashboard"]
    # The hub still shows it as a section with its own heading linking to the page.
    fragment = client.get(reverse("projects:dashboard", args=[project.key]), HTTP_HX_REQUEST="true").content.decode()
    assert f'<h2><a href="{reverse("projects:dashboard", args=[project.key])}">Dashboard</a></h2>' in fragment

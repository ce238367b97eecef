"""The risk register's pages: the list and its heat map (counts per cell, a cell opens its
risks), create and edit with errors in the page, a stale edit answered 409 with both
versions, closing, viewers without edit controls, the ticket page's Risks panel, the
Risks tab, and the page's query budget at 5 and 200 risks."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects import services
from projects.models import Risk, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, RiskFactory, TicketFactory, seed_risks

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def member(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


@pytest.fixture
def viewer(cv):
    return MembershipFactory(project=cv, role=Role.VIEWER).user


def _cell(html: str, likelihood: int, impact: int) -> re.Match:
    return re.search(
        rf'<a class="heat-cell heat-(\w+)[^"]*"\s+href="([^"]+)" data-likelihood="{likelihood}" '
        rf'data-impact="{impact}"[^>]*>(\d+)</a>',
        html,
    )


def test_list_shows_risks_by_score_with_overdue_flag_and_ticket_links(client, cv, member):
    ticket = TicketFactory(project=cv, reporter=member, title="Audit labels")
    past = timezone.localdate() - datetime.timedelta(days=2)
    RiskFactory(project=cv, user=member, title="Low one", likelihood=1, impact=2)
    RiskFactory(project=cv, user=member, title="High one", likelihood=4, impact=5, review_date=past, tickets=[ticket])
    client.force_login(member)
    response = client.get("/projects/CV/risks/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("High one") < html.index("Low one")
    assert "overdue" in html and f'href="/projects/CV/tickets/{ticket.key}/"' in html
    assert 'href="/projects/CV/risks/new/"' in html  # members may add
    assert '<a href="/projects/CV/risks/" aria-current="page">Risks</a>' in html  # the tab


def test_heatmap_counts_and_cells_open_the_matching_risks(client, cv, member):
    for _ in range(2):
        RiskFactory(project=cv, user=member, likelihood=4, impact=5)
    RiskFactory(project=cv, user=member, title="Elsewhere", likelihood=1, impact=1)
    RiskFactory(project=cv, user=member, likelihood=4, impact=5, status="closed")  # not active
    client.force_login(member)
    html = client.get("/projects/CV/risks/").content.decode()
    hot, cold, empty = _cell(html, 4, 5), _cell(html, 1, 1), _cell(html, 3, 3)
    assert (hot[1], hot[3]) == ("high", "2") and (cold[1], cold[3]) == ("low", "1") and empty[3] == "0"
    assert html.count('class="heat-cell') == 25
    url = hot[2].replace("&amp;", "&")
    assert url == "/projects/CV/risks/?likelihood=4&impact=5"
    filtered = client.get(url).content.decode()
    assert filtered.count('<tr id="risk-') == 2 and "Elsewhere" not in filtered
    assert 'aria-current="true">2</a>' in filtered  # the chosen cell is marked
    closed = client.get("/projects/CV/risks/?status=closed").content.decode()
    assert closed.count('<tr id="risk-') == 1 and _cell(closed, 4, 5)[3] == "1"


def test_sort_by_review_date(client, cv, member):
    today = timezone.localdate()
    RiskFactory(project=cv, user=member, title="Later", likelihood=5, impact=5, review_date=today)
    RiskFactory(
        project=cv, user=member, title="Sooner", likelihood=1, impact=1, review_date=today - datetime.timedelta(1)
    )
    client.force_login(member)
    html = client.get("/projects/CV/risks/?sort=review").content.decode()
    assert html.index("Sooner") < html.index("Later")


def test_create_with_errors_in_the_page_then_saved(client, cv, member):
    client.force_login(member)
    bad = client.post(
        "/projects/CV/risks/new/",
        {"title": "Drift", "likelihood": "9", "impact": "3", "status": "open", "tickets": "CV-77", "owner": "dana"},
    )
    assert bad.status_code == 200 and 'class="field-error"' in bad.content.decode()
    bad = client.post(
        "/projects/CV/risks/new/",
        {"title": "Drift", "likelihood": "3", "impact": "3", "status": "open", "tickets": "CV-77", "owner": "dana"},
    )
    assert bad.status_code == 200 and "No ticket CV-77 in CV." in bad.content.decode()
    ticket = TicketFactory(project=cv, reporter=member)
    ok = client.post(
        "/projects/CV/risks/new/",
        {"title": "Drift", "likelihood": "3", "impact": "5", "status": "open", "tickets": ticket.key, "owner": "dana"},
    )
    risk = Risk.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/projects/CV/risks/{risk.pk}/"
    assert risk.is_high and risk.owner == member and list(risk.tickets.all()) == [ticket]
    page = client.get(ok["Location"]).content.decode()
    assert "Drift" in page and "Close risk" in page


def test_edit_with_a_stale_version_is_409_with_both_versions(client, cv, member):
    risk = RiskFactory(project=cv, user=member, title="Original", likelihood=2, impact=2)
    client.force_login(member)
    form = client.get(f"/projects/CV/risks/{risk.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in form
    services.risk_update(risk=risk, user=member, title="Theirs", mitigation="Their plan")
    data = {"title": "Mine", "likelihood": "3", "impact": "3", "status": "open", "version": "1", "owner": ""}
    stale = client.post(f"/projects/CV/risks/{risk.pk}/edit/", data)
    html = stale.content.decode()
    assert stale.status_code == 409
    assert "Their version (saved)" in html and "Theirs" in html and "Their plan" in html
    assert 'value="Mine"' in html and 'name="version" value="2"' in html  # mine kept, now based on theirs
    risk.refresh_from_db()
    assert risk.title == "Theirs"
    again = client.post(f"/projects/CV/risks/{risk.pk}/edit/", data | {"version": "2"})
    assert again.status_code == 302
    risk.refresh_from_db()
    assert (risk.title, risk.version) == ("Mine", 3)


def test_close_and_a_stale_close(client, cv, member):
    risk = RiskFactory(project=cv, user=member)
    client.force_login(member)
    services.risk_update(risk=risk, user=member, impact=5)
    stale = client.post(f"/projects/CV/risks/{risk.pk}/close/", {"version": "1"})
    assert stale.status_code == 409 and "was not closed" in stale.content.decode()
    assert Risk.objects.get().status == "open"
    done = client.post(f"/projects/CV/risks/{risk.pk}/close/", {"version": "2"})
    assert done.status_code == 302 and Risk.objects.get().status == "closed"


def test_viewers_read_without_edit_controls_and_cannot_write(client, cv, member, viewer):
    risk = RiskFactory(project=cv, user=member, title="Visible")
    client.force_login(viewer)
    for url in ("/projects/CV/risks/", f"/projects/CV/risks/{risk.pk}/"):
        html = client.get(url).content.decode()
        assert "Visible" in html
        assert "New risk" not in html and "Close risk" not in html and "/edit/" not in html and "Delete" not in html
    assert client.get("/projects/CV/risks/new/").status_code == 403
    assert client.get(f"/projects/CV/risks/{risk.pk}/edit/").status_code == 403
    assert client.post(f"/projects/CV/risks/{risk.pk}/close/", {"version": "1"}).status_code == 403
    assert client.post(f"/projects/CV/risks/{risk.pk}/delete/").status_code == 403
    assert Risk.objects.get().status == "open"


def test_non_members_get_404(client, cv, member):
    risk = RiskFactory(project=cv, user=member)
    client.force_login(UserFactory())
    for url in ("/projects/CV/risks/", f"/projects/CV/risks/{risk.pk}/", f"/projects/CV/risks/{risk.pk}/edit/"):
        assert client.get(url).status_code == 404
    other = RiskFactory(project=ProjectFactory(key="OT"))
    client.force_login(member)
    assert client.get(f"/projects/CV/risks/{other.pk}/").status_code == 404


def test_delete(client, cv, member):
    risk = RiskFactory(project=cv, user=member)
    client.force_login(member)
    response = client.post(f"/projects/CV/risks/{risk.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == "/projects/CV/risks/"
    assert not Risk.objects.exists()


def test_ticket_page_panel_lists_the_tickets_risks(client, cv, member):
    ticket = TicketFactory(project=cv, reporter=member)
    risk = RiskFactory(project=cv, user=member, title="Named risk", likelihood=5, impact=3, tickets=[ticket])
    client.force_login(member)
    page = client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    assert f'hx-get="/projects/CV/tickets/{ticket.key}/risks/"' in page
    panel = client.get(f"/projects/CV/tickets/{ticket.key}/risks/", HTTP_HX_REQUEST="true").content.decode()
    assert "Named risk" in panel and f'href="/projects/CV/risks/{risk.pk}/"' in panel and "high" in panel
    other = TicketFactory(project=cv, reporter=member)
    assert "No risk names" in client.get(f"/projects/CV/tickets/{other.key}/risks/").content.decode()


@pytest.mark.parametrize("count", [5, 200])
def test_page_query_count_is_the_same_at_5_and_200_risks(client, cv, member, count, django_assert_max_num_queries):
    tickets = [TicketFactory(project=cv, reporter=member) for _ in range(3)]
    seed_risks(cv, count, owner=member, tickets=tickets)
    client.force_login(member)
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
        response = client.get("/projects/CV/risks/?status=all")
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="risk-') == count
    print(f"risks page at {count} risks: {len(queries)} queries")

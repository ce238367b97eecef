"""The board in Chromium (issue 11, items 4 and 6): a move sends the card's version, so a card
someone else moved meanwhile is refused with their name and the board shows where it is;
after a move the mover's board is fetched once, not twice. Plus the pages of items 1-3 and 8
at 1440 and 390 px wide (no page wider than the viewport)."""

import datetime

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import Role, Ticket
from tests.accounts.factories import UserFactory
from tests.browser.test_board import add_tickets, column, drag, kanban_project
from tests.projects.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_card_moved_by_someone_else_meanwhile_is_refused_with_their_name(signed_in_page, live_server):
    page, user = signed_in_page
    project = kanban_project(user)
    (ticket,) = add_tickets(project, user, ["Train baseline"])
    dana = UserFactory(username="dana", display_name="Dana Scientist")
    MembershipFactory(project=project, user=dana, role=Role.MEMBER)
    # No live refresh for this page: it still shows the card where it was when it loaded.
    page.route("**/projects/CV/live/", lambda route: route.abort())
    page.goto(f"{live_server.url}/projects/CV/board/")
    expect(page.locator(f"#ticket-{ticket.key}")).to_have_attribute("data-version", "1")
    services.ticket_move(ticket=ticket, user=dana, status="in_review")  # meanwhile, elsewhere

    with page.expect_response(lambda r: r.url.endswith(f"/tickets/{ticket.key}/move/")) as moved:
        drag(page, page.locator(f"#ticket-{ticket.key}"), column(page, "in_progress"))
    assert moved.value.status == 409
    assert moved.value.request.post_data_json["version"] == 1
    expect(page.locator("#board-alert")).to_have_text(
        f"Dana Scientist moved {ticket.key} meanwhile; the board shows where it is now. Nothing was saved."
    )
    # The board was refreshed: the card is where Dana put it, and nothing moved it again.
    expect(column(page, "in_review").locator(f"#ticket-{ticket.key}")).to_be_visible()
    expect(column(page, "in_progress").locator(f"#ticket-{ticket.key}")).to_have_count(0)
    assert Ticket.objects.get(pk=ticket.pk).status.slug == "in_review"


def test_a_move_refetches_the_movers_board_once(signed_in_page, live_server):
    page, user = signed_in_page
    project = kanban_project(user)
    (ticket,) = add_tickets(project, user, ["Collect defect photos"])
    board_url = f"{live_server.url}/projects/CV/board/"
    page.goto(board_url)
    expect(column(page, "todo").locator(f"#ticket-{ticket.key}")).to_be_visible()
    # Let the first poll answer (304: nothing changed since the page loaded).
    with page.expect_response(lambda r: "/projects/CV/live/" in r.url):
        pass
    fetches = []
    page.on(
        "request",
        lambda request: (
            fetches.append(request.url) if request.method == "GET" and request.url.split("?")[0] == board_url else None
        ),
    )
    with page.expect_response(lambda r: r.url.endswith(f"/tickets/{ticket.key}/move/")) as moved:
        drag(page, page.locator(f"#ticket-{ticket.key}"), column(page, "in_progress"))
    assert moved.value.status == 200
    expect(column(page, "in_progress").locator(f"#ticket-{ticket.key}")).to_be_visible()
    # Three polls after the move (they may see the move's own revision) refetch nothing more.
    for _ in range(3):
        with page.expect_response(lambda r: "/projects/CV/live/" in r.url):
            pass
    assert len(fetches) == 1, fetches


def _planning_pages(project, user):
    today = datetime.date.today()
    done = services.sprint_create(
        project=project,
        name="Sprint 1",
        start_date=today - datetime.timedelta(days=14),
        end_date=today - datetime.timedelta(days=1),
        capacity=8,
    )
    active = services.sprint_create(
        project=project, name="Sprint 2", start_date=today, end_date=today + datetime.timedelta(days=13), capacity=4
    )
    planned = services.sprint_create(
        project=project,
        name="Sprint 3",
        start_date=today + datetime.timedelta(days=14),
        end_date=today + datetime.timedelta(days=27),
    )
    epic = services.ticket_create(project=project, reporter=user, title="Recall 0.95 on line 3", type="epic")
    for title, points in (("Collect hard cases", 3), ("Retrain with hard cases", 5)):
        services.ticket_create(
            project=project, reporter=user, title=title, estimate=points, parent=epic, sprint=done, type="story"
        )
    services.sprint_start(sprint=done, user=user)
    first = project.tickets.get(title="Collect hard cases")
    services.ticket_update(ticket=first, user=user, status="done")
    services.sprint_complete(sprint=project.sprints.get(pk=done.pk), user=user, move_open_to=active)
    services.sprint_start(sprint=active, user=user)
    return [
        f"/projects/{project.key}/sprints/",
        f"/projects/{project.key}/sprints/{done.pk}/",
        f"/projects/{project.key}/sprints/{active.pk}/",
        f"/projects/{project.key}/sprints/{active.pk}/complete/",
        f"/projects/{project.key}/sprints/{planned.pk}/",
        f"/projects/{project.key}/board/",
        f"/projects/{project.key}/tickets/{epic.key}/",
        f"/projects/{project.key}/backlog/",
    ]


def test_sprint_pages_fit_a_phone(signed_in_page, live_server):
    """The sprint list, a sprint's page with its figures and start choices, and the complete
    confirmation are no wider than a 390 px viewport."""
    page, user = signed_in_page
    project = kanban_project(user)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in _planning_pages(project, user)[:5]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("[data-testid=sprint-figures]").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path

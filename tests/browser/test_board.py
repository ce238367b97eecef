"""The board in real Chromium: drag and drop that persists, live updates in a second
browser, gate refusals and admin override, the "c" shortcut, lazy columns, viewers."""

import pytest
from playwright.sync_api import expect

from projects import hooks, services
from projects.models import Role, Ticket
from projects.selectors.board import COLUMN_PAGE_SIZE
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def kanban_project(user, role=Role.ADMIN):
    project = ProjectFactory(key="CV", name="Vision", board_mode="kanban")
    MembershipFactory(project=project, user=user, role=role)
    return project


def add_tickets(project, user, titles, status="todo"):
    column = project.statuses.get(slug=status)
    return [services.ticket_create(project=project, reporter=user, title=title, status=column) for title in titles]


def column(page, slug):
    return page.locator(f'.board-cards[data-status="{slug}"]')


def drag(page, card, target, *, below=None):
    """Drag with real mouse moves (Sortable listens to the browser's drag events)."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    goal = (below or target).bounding_box()
    y = goal["y"] + goal["height"] - 4 if below is not None else goal["y"] + 20
    page.mouse.move(goal["x"] + goal["width"] / 2, y, steps=12)
    page.mouse.move(goal["x"] + goal["width"] / 2, y + 2, steps=3)
    page.mouse.up()


def sign_in(browser, live_server, username):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pass-w0rd-long")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/projects/")
    return context, page


def test_drag_to_in_progress_persists_and_a_second_browser_sees_it_live(signed_in_page, live_server, browser):
    page, user = signed_in_page
    project = kanban_project(user)
    first, _second = add_tickets(project, user, ["Collect defect photos", "Train baseline"])
    (doing,) = add_tickets(project, user, ["Label images"], status="in_progress")
    teammate = UserFactory(username="sam")
    MembershipFactory(project=project, user=teammate, role=Role.VIEWER)
    other_context, other_page = sign_in(browser, live_server, "sam")
    board_url = f"{live_server.url}/projects/{project.key}/board/"
    other_page.goto(board_url)
    expect(column(other_page, "todo").locator(f"#ticket-{first.key}")).to_be_visible()

    page.goto(board_url)
    with page.expect_response(lambda r: r.url.endswith(f"/tickets/{first.key}/move/")) as moved:
        drag(
            page,
            page.locator(f"#ticket-{first.key}"),
            column(page, "in_progress"),
            below=page.locator(f"#ticket-{doing.key}"),
        )
    assert moved.value.status == 200

    expect(column(page, "in_progress").locator(f"#ticket-{first.key}")).to_be_visible()
    page.reload()
    expect(column(page, "in_progress").locator(".board-card")).to_have_count(2)
    expect(column(page, "in_progress").locator(".board-card").nth(1)).to_have_id(f"ticket-{first.key}")
    assert Ticket.objects.get(pk=first.pk).status.slug == "in_progress"
    # The viewer's page, never reloaded, follows within 5 seconds.
    expect(column(other_page, "in_progress").locator(f"#ticket-{first.key}")).to_be_visible(timeout=5000)
    expect(column(other_page, "todo").locator(f"#ticket-{first.key}")).to_have_count(0)
    expect(other_page.locator(".drag-handle")).to_have_count(0)
    other_context.close()


def test_changes_from_elsewhere_appear_without_reload(signed_in_page, live_server):
    page, user = signed_in_page
    project = kanban_project(user)
    (ticket,) = add_tickets(project, user, ["Write eval script"])
    page.goto(f"{live_server.url}/projects/{project.key}/board/")
    expect(column(page, "todo").locator(f"#ticket-{ticket.key}")).to_be_visible()
    # A write outside the page (API, Celery task): a new ticket and a move.
    (created,) = add_tickets(project, user, ["Created by a task"])
    services.ticket_move(ticket=ticket, user=user, status="in_review")
    expect(column(page, "todo").locator(f"#ticket-{created.key}")).to_be_visible(timeout=5000)
    expect(column(page, "in_review").locator(f"#ticket-{ticket.key}")).to_be_visible(timeout=5000)


@pytest.fixture
def accuracy_gate():
    def guard(ticket, user):
        return ["val/accuracy 0.81 is below the gate 0.90"] if "model" in ticket.title else []

    hooks.register_finish_guard(guard)
    yield
    hooks.finish_guards.remove(guard)


def test_gate_refusal_snaps_back_and_admin_overrides(signed_in_page, live_server, browser, accuracy_gate):
    page, admin = signed_in_page
    project = kanban_project(admin)
    (gated,) = add_tickets(project, admin, ["Ship model v2"])
    member = UserFactory(username="mia")
    MembershipFactory(project=project, user=member, role=Role.MEMBER)
    board_url = f"{live_server.url}/projects/{project.key}/board/"

    member_context, member_page = sign_in(browser, live_server, "mia")
    member_page.goto(board_url)
    drag(member_page, member_page.locator(f"#ticket-{gated.key}"), column(member_page, "done"))
    expect(member_page.locator("#board-alert")).to_contain_text("val/accuracy 0.81 is below the gate 0.90")
    expect(column(member_page, "todo").locator(f"#ticket-{gated.key}")).to_be_visible()
    expect(column(member_page, "done").locator(".board-card")).to_have_count(0)
    member_context.close()

    page.goto(board_url)
    drag(page, page.locator(f"#ticket-{gated.key}"), column(page, "done"))
    dialog = page.locator("#override-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("val/accuracy 0.81")
    dialog.get_by_label("As an admin you may override them. Why?").fill("Offline eval on the new set is enough")
    with page.expect_response(lambda r: r.url.endswith(f"/tickets/{gated.key}/move/")) as moved:
        dialog.get_by_role("button", name="Override and move").click()
    assert moved.value.status == 200
    expect(column(page, "done").locator(f"#ticket-{gated.key}")).to_be_visible()
    page.reload()
    expect(column(page, "done").locator(f"#ticket-{gated.key}")).to_be_visible()
    assert gated.events.filter(kind="gate_override").get().data["reason"] == "Offline eval on the new set is enough"


def test_shortcut_c_creates_a_ticket_inline(signed_in_page, live_server):
    page, user = signed_in_page
    project = kanban_project(user, Role.MEMBER)
    page.goto(f"{live_server.url}/projects/{project.key}/board/")
    page.locator("h1").click()
    page.keyboard.press("c")
    title = page.locator("#quick-create-dialog").get_by_label("Title")
    expect(title).to_be_focused()
    title.fill("Try focal loss")
    title.press("Enter")
    expect(page.locator("#quick-create-dialog")).to_contain_text("Created CV-1")
    page.keyboard.press("Escape")
    expect(column(page, "todo").locator("#ticket-CV-1")).to_contain_text("Try focal loss", timeout=5000)


def test_keyboard_moves_a_card_without_dragging(signed_in_page, live_server):
    page, user = signed_in_page
    project = kanban_project(user, Role.MEMBER)
    _first, second = add_tickets(project, user, ["Profile data loader", "Cache features"])
    page.goto(f"{live_server.url}/projects/{project.key}/board/")
    page.locator(f"#ticket-{second.key}").focus()
    with page.expect_response(lambda r: r.url.endswith(f"/tickets/{second.key}/move/")) as reordered:
        page.keyboard.press("Alt+ArrowUp")
    assert reordered.value.status == 200
    expect(column(page, "todo").locator(".board-card").first).to_have_id(f"ticket-{second.key}")
    with page.expect_response(lambda r: r.url.endswith(f"/tickets/{second.key}/move/")) as moved:
        page.keyboard.press("Alt+ArrowRight")
    assert moved.value.status == 200
    expect(column(page, "in_progress").locator(f"#ticket-{second.key}")).to_be_visible()
    expect(page.locator(f"#ticket-{second.key}")).to_be_focused()
    page.reload()
    expect(column(page, "in_progress").locator(f"#ticket-{second.key}")).to_be_visible()
    expect(column(page, "todo").locator(".board-card")).to_have_count(1)


def test_long_column_loads_more_cards_on_scroll(signed_in_page, live_server):
    page, user = signed_in_page
    project = kanban_project(user)
    size = COLUMN_PAGE_SIZE
    add_tickets(project, user, [f"Card {i}" for i in range(2 * size + 10)])
    page.goto(f"{live_server.url}/projects/{project.key}/board/")
    cards = column(page, "todo").locator(".board-card")
    expect(cards).to_have_count(size)
    column(page, "todo").locator(".board-more").scroll_into_view_if_needed()
    expect(cards).to_have_count(2 * size)
    column(page, "todo").locator(".board-more").scroll_into_view_if_needed()
    expect(cards).to_have_count(2 * size + 10)
    expect(column(page, "todo").locator(".board-more")).to_have_count(0)
    # A live refresh keeps the cards the user scrolled to.
    (elsewhere,) = add_tickets(project, user, ["Meanwhile, in review"], status="in_review")
    expect(column(page, "in_review").locator(f"#ticket-{elsewhere.key}")).to_be_visible(timeout=5000)
    expect(cards).to_have_count(2 * size + 10)


def test_viewer_cannot_drag_nor_move(signed_in_page, live_server):
    page, user = signed_in_page
    project = kanban_project(user, Role.VIEWER)
    (ticket,) = add_tickets(project, user, ["Read only"])
    page.goto(f"{live_server.url}/projects/{project.key}/board/")
    expect(page.locator(f"#ticket-{ticket.key}")).to_be_visible()
    expect(page.locator(".drag-handle")).to_have_count(0)
    expect(page.get_by_role("button", name="New ticket")).to_have_count(0)
    drag(page, page.locator(f"#ticket-{ticket.key}"), column(page, "done"))
    expect(column(page, "todo").locator(f"#ticket-{ticket.key}")).to_be_visible()
    status = page.evaluate(
        """async (key) => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const r = await fetch(`/api/v1/tickets/${key}/move/`, {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}, body: JSON.stringify({status: 'done'})});
            return r.status;
        }""",
        ticket.key,
    )
    assert status == 403
    assert Ticket.objects.get(pk=ticket.pk).status.slug == "todo"

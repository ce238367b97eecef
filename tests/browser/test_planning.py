"""Planning in real Chromium: plan a sprint from the backlog and start it; complete it with
carry-over; edit a ticket in place and comment with a mention."""

import datetime

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import Role, Sprint, Ticket
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scrum_project(user):
    project = ProjectFactory(key="CV", name="Vision")
    MembershipFactory(project=project, user=user, role=Role.ADMIN)
    return project


def test_plan_and_start_a_sprint(signed_in_page, live_server):
    page, user = signed_in_page
    project = scrum_project(user)
    for title, points in (("Label 5k images", 5), ("Baseline model", 3), ("Eval report", 2)):
        services.ticket_create(project=project, reporter=user, title=title, estimate=points)

    page.goto(f"{live_server.url}/projects/CV/sprints/")
    page.get_by_label("Name").fill("Sprint 1")
    page.get_by_label("Goal").fill("A measured baseline")
    today = datetime.date.today()
    page.get_by_label("Start date").fill(today.isoformat())
    page.get_by_label("End date").fill((today + datetime.timedelta(days=13)).isoformat())
    page.get_by_label("Capacity").fill("7")
    page.get_by_role("button", name="Create sprint").click()
    expect(page.get_by_role("heading", name="Sprint 1")).to_be_visible()

    # Planning: committed points against capacity update as tickets are added.
    meter = page.locator("#capacity-meter")
    expect(meter).to_contain_text("0 pts committed of 7 capacity")
    page.get_by_role("button", name="Add CV-1 to the sprint").click()
    expect(meter).to_contain_text("5 pts committed of 7")
    page.get_by_role("button", name="Add CV-2 to the sprint").click()
    expect(meter).to_contain_text("8 pts committed of 7")
    expect(meter).to_contain_text("Over capacity by 1 pt:")
    page.get_by_role("button", name="Remove CV-2 from the sprint").click()
    expect(meter).to_contain_text("5 pts committed of 7")
    page.get_by_role("button", name="Add CV-3 to the sprint").click()
    expect(meter).to_contain_text("7 pts committed of 7")
    expect(page.locator("#sprint-tickets")).to_contain_text("Eval report")

    page.get_by_role("button", name="Start sprint").click()
    expect(page.locator("#sprint-state")).to_have_text("Active")
    expect(page.get_by_text("Sprint 1 started.")).to_be_visible()
    expect(page.locator("#burndown-chart")).to_be_visible()
    sprint = Sprint.objects.get(name="Sprint 1")
    assert sprint.state == "active"
    assert set(sprint.tickets.values_list("key", flat=True)) == {"CV-1", "CV-3"}

    # A second sprint cannot start while this one is active: the page says why.
    second = services.sprint_create(
        project=project, name="Sprint 2", start_date=today, end_date=today + datetime.timedelta(days=13)
    )
    page.goto(f"{live_server.url}/projects/CV/sprints/{second.pk}/")
    expect(page.get_by_role("button", name="Start sprint")).to_be_disabled()
    expect(page.locator("#start-blocked")).to_have_text("Sprint 1 is active: complete it before starting this one.")


def test_complete_a_sprint_with_carry_over(signed_in_page, live_server):
    page, user = signed_in_page
    project = scrum_project(user)
    today = datetime.date.today()
    current = services.sprint_create(
        project=project,
        name="Sprint 1",
        start_date=today - datetime.timedelta(days=7),
        end_date=today + datetime.timedelta(days=6),
    )
    following = services.sprint_create(
        project=project,
        name="Sprint 2",
        start_date=today + datetime.timedelta(days=7),
        end_date=today + datetime.timedelta(days=20),
    )
    done = services.ticket_create(project=project, reporter=user, title="Finished work", estimate=3, sprint=current)
    unfinished = services.ticket_create(
        project=project, reporter=user, title="Unfinished work", estimate=5, sprint=current
    )
    services.ticket_update(ticket=done, user=user, status="done")
    services.sprint_start(sprint=current)

    page.goto(f"{live_server.url}/projects/CV/sprints/{current.pk}/")
    expect(page.locator("#capacity-meter")).to_contain_text("8 pts committed")
    page.get_by_role("link", name="Complete sprint…").click()  # asks first, with the carry-over choice
    expect(page.get_by_role("heading", name="Complete Sprint 1?")).to_be_visible()
    expect(page.locator("#complete-confirm")).to_contain_text("1 unfinished ticket (5 pts) will carry over")
    page.get_by_label("Move unfinished tickets to").select_option(label="Sprint 2")
    page.get_by_role("button", name="Complete sprint").click()
    expect(page.locator("#sprint-state")).to_have_text("Completed")
    expect(page.get_by_text("unfinished tickets moved to Sprint 2")).to_be_visible()
    unfinished.refresh_from_db(), done.refresh_from_db()
    assert unfinished.sprint_id == following.pk and done.sprint_id == current.pk

    page.goto(f"{live_server.url}/projects/CV/sprints/{following.pk}/")
    expect(page.locator("#sprint-tickets")).to_contain_text("Unfinished work")
    page.goto(f"{live_server.url}/projects/CV/sprints/")
    expect(page.locator("#velocity-chart")).to_be_visible()
    expect(page.locator("#velocity table")).to_contain_text("Sprint 1")


def test_edit_in_place_comment_with_mention_and_see_another_persons_change_live(signed_in_page, live_server, browser):
    page, user = signed_in_page
    project = scrum_project(user)
    dana = UserFactory(username="dana", display_name="Dana Scientist")
    MembershipFactory(project=project, user=dana, role=Role.MEMBER)
    ticket = services.ticket_create(project=project, reporter=user, title="Tune threshold")

    page.goto(f"{live_server.url}/projects/CV/tickets/{ticket.key}/")
    page.get_by_role("link", name="Edit title").click()
    expect(page.locator("#field-title input[name='title-value']")).to_be_focused()
    page.keyboard.type(" (draft)")
    page.keyboard.press("Escape")  # cancels: nothing saved
    expect(page.locator("#field-title h1")).to_have_text("Tune threshold")
    page.get_by_role("link", name="Edit priority").click()
    page.locator("#field-priority select").select_option("high")
    page.locator("#field-priority").get_by_role("button", name="Save").click()
    expect(page.locator("#field-priority")).to_contain_text("High")
    expect(page.locator("#ticket-history")).to_contain_text("changed priority from medium to high")

    # Wait for what the user waits for at each step; never hold an element htmx may swap out.
    comment = page.get_by_label("Comment")
    comment.fill("Check the sweep, @da")
    page.get_by_role("button", name="@dana · Dana Scientist").click()  # the mention suggestion
    expect(comment).to_be_focused()
    expect(comment).to_have_value("Check the sweep, @dana ")
    page.keyboard.type("— see CV-1")
    expect(comment).to_have_value("Check the sweep, @dana — see CV-1")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#ticket-comments .comment")).to_contain_text("Check the sweep")
    expect(page.locator("#ticket-comments .comment a", has_text="CV-1")).to_have_attribute(
        "href", f"/projects/CV/tickets/{ticket.key}/"
    )
    assert dana.notifications.filter(kind="mention", ticket=ticket).exists()

    # Someone else changes the title through the service: the open page shows it without a reload.
    services.ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), user=dana, title="Tune threshold for recall 0.95")
    expect(page.locator("#field-title h1")).to_have_text("Tune threshold for recall 0.95", timeout=5000)


def test_backlog_inline_create_filter_and_multi_select_into_a_sprint(signed_in_page, live_server):
    page, user = signed_in_page
    project = scrum_project(user)
    today = datetime.date.today()
    services.sprint_create(
        project=project, name="Sprint 1", start_date=today, end_date=today + datetime.timedelta(days=13)
    )
    page.goto(f"{live_server.url}/projects/CV/backlog/")
    for title in ("Collect images", "Train baseline"):
        page.get_by_label("New ticket").fill(title)
        page.get_by_label("New ticket").press("Enter")
        expect(page.locator("#backlog-rows")).to_contain_text(title)
    page.get_by_label("Select CV-1").check()
    page.get_by_label("Select CV-2").check()
    expect(page.locator("#selected-count")).to_have_text("2")
    page.locator("#plan-sprint").select_option(label="Sprint 1")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("2 tickets moved to Sprint 1.")).to_be_visible()
    assert set(Sprint.objects.get(name="Sprint 1").tickets.values_list("key", flat=True)) == {"CV-1", "CV-2"}
    page.get_by_label("Text").fill("baseline")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr.backlog-row")).to_have_count(1)
    expect(page.locator("tr.backlog-row")).to_contain_text("Train baseline")


def test_backlog_drag_to_rank_persists(signed_in_page, live_server):
    page, user = signed_in_page
    project = scrum_project(user)
    for title in ("First", "Second", "Third"):
        services.ticket_create(project=project, reporter=user, title=title)
    page.goto(f"{live_server.url}/projects/CV/backlog/")
    handle = page.locator("#ticket-CV-3 .drag-handle")
    middle, goal = page.locator("#ticket-CV-2").bounding_box(), page.locator("#ticket-CV-1").bounding_box()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    # Walk up over the rows, as a hand would, letting each row's 120 ms swap animation end
    # (Sortable ignores a row while it animates).
    for point in (
        (middle["x"] + 40, middle["y"] + middle["height"] / 2),
        (goal["x"] + 40, goal["y"] + goal["height"] / 2),
        (goal["x"] + 40, goal["y"] + 2),
    ):
        page.mouse.move(*point, steps=10)
        page.wait_for_timeout(250)
    expect(page.locator("tr.backlog-row td a.key")).to_have_text(["CV-3", "CV-1", "CV-2"])
    page.mouse.up()
    expect(page.locator("#ticket-CV-3[data-ranked]")).to_have_count(1)
    page.reload()
    expect(page.locator("tr.backlog-row td a.key")).to_have_text(["CV-3", "CV-1", "CV-2"])
    assert list(project.tickets.order_by("rank").values_list("key", flat=True)) == ["CV-3", "CV-1", "CV-2"]


def sign_in(browser, live_server, username):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pass-w0rd-long")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/projects/")
    return context, page


def test_two_people_edit_the_description_and_nothing_is_lost(signed_in_page, live_server, browser):
    page, user = signed_in_page
    project = scrum_project(user)
    MembershipFactory(project=project, user=UserFactory(username="dana"), role=Role.MEMBER)
    ticket = services.ticket_create(project=project, reporter=user, title="Train", description="First draft.")
    other_context, other = sign_in(browser, live_server, "dana")
    try:
        url = f"{live_server.url}/projects/CV/tickets/{ticket.key}/"
        page.goto(url)
        other.goto(url)
        page.get_by_role("link", name="Edit description").click()
        other.get_by_role("link", name="Edit description").click()
        other.locator("#field-description textarea").fill("Dana's plan: sweep thresholds.")
        other.locator("#field-description").get_by_role("button", name="Save").click()
        expect(other.locator("#field-description .prose")).to_contain_text("Dana's plan")

        page.locator("#field-description textarea").fill("My plan: try focal loss.")
        page.locator("#field-description").get_by_role("button", name="Save").click()
        conflict = page.locator("#field-description .conflict")
        expect(conflict).to_contain_text("changed this ticket while you were editing")
        expect(conflict).to_contain_text("Dana's plan: sweep thresholds.")
        expect(page.locator("#field-description textarea")).to_have_value("My plan: try focal loss.")
        assert Ticket.objects.get(pk=ticket.pk).description == "Dana's plan: sweep thresholds."

        # Merge both by hand and save: now based on Dana's version, it goes through.
        page.locator("#field-description textarea").fill("Dana's plan: sweep thresholds.\n\nAlso: try focal loss.")
        page.locator("#field-description").get_by_role("button", name="Save").click()
        expect(page.locator("#field-description .prose")).to_contain_text("Also: try focal loss.")
        expect(other.locator("#field-description .prose")).to_contain_text("Also: try focal loss.", timeout=5000)
    finally:
        other_context.close()

"""Issue 11, item 17: a live refresh of the ticket page never wipes a comment being written,
even when focus has left the text box (a @mention pick, a click elsewhere); the change it
held back shows once the comment is posted. This race made
test_edit_in_place_comment_with_mention... flaky ("element was detached from the DOM")."""

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import Role, Ticket
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNT_LIVE = """() => { window.__live = 0;
  document.body.addEventListener("aihub:live", () => { window.__live += 1; }); }"""


def test_a_comment_draft_survives_a_live_refresh_and_the_change_shows_after_posting(signed_in_page, live_server):
    page, user = signed_in_page
    project = ProjectFactory(key="CV", name="Vision")
    MembershipFactory(project=project, user=user, role=Role.ADMIN)
    dana = UserFactory(username="dana", display_name="Dana Scientist")
    MembershipFactory(project=project, user=dana, role=Role.MEMBER)
    ticket = services.ticket_create(project=project, reporter=user, title="Tune threshold")

    page.goto(f"{live_server.url}/projects/CV/tickets/{ticket.key}/")
    page.evaluate(COUNT_LIVE)
    comment = page.get_by_label("Comment")
    comment.fill("Half written, @da")
    page.get_by_role("button", name="@dana · Dana Scientist").click()
    expect(comment).to_have_value("Half written, @dana ")
    page.locator("#ticket-comments h2").click()  # focus leaves the box; the draft stays

    # Someone else changes the ticket: the page learns of it from its live poll...
    services.ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), user=dana, title="Tune threshold for recall")
    page.wait_for_function("() => window.__live >= 1")
    # ...and whatever refresh that started has finished (htmx marks requests in flight).
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(page.get_by_label("Comment")).to_have_value("Half written, @dana ")
    expect(page.locator("#field-title h1")).to_have_text("Tune threshold")

    page.get_by_label("Comment").press("End")
    page.keyboard.type("see the sweep")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("#ticket-comments .comment")).to_contain_text("Half written, @dana see the sweep")
    # The refresh it held back happens now.
    expect(page.locator("#field-title h1")).to_have_text("Tune threshold for recall")

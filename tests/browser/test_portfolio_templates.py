"""Templates and the portfolio in real Chromium, at 1440 px and at 390 px (a phone): a PM
creates a project from the ML model template on the New project form (one submit), then the
portfolio shows it beside another project, with health, sprint and target; nothing is wider
than the phone's screen and no Content-Security-Policy violation or script error happens."""

import os

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import Role
from tests.accounts.factories import UserFactory
from tests.browser.crawl import Watch, visit
from tests.browser.test_phone_layout import OVERFLOW
from tests.projects.factories import MembershipFactory
from tests.projects.test_portfolio import a_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("AIHUB_SCREENSHOTS", "")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1440, 390])
def test_create_from_the_template_then_read_the_portfolio(signed_in_page, live_server, width):
    page, user = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    watch = Watch(page)
    a_project(user, 1)
    other = services.project_create(creator=UserFactory(username="olivia"), key="OTHER", name="Someone else's")
    MembershipFactory(project=other, user=user, role=Role.VIEWER)

    visit(page, watch, f"{live_server.url}/projects/new/")
    shot(page, f"new-project-{width}")
    assert page.evaluate(OVERFLOW)["scrollWidth"] <= width
    page.get_by_label("ML model project").check()
    page.get_by_label("Key").fill("FRAUD")
    page.get_by_label("Name").fill("Card fraud")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(f"{live_server.url}/projects/FRAUD/")
    expect(page.get_by_text("Project FRAUD created.")).to_be_visible()

    visit(page, watch, f"{live_server.url}/projects/FRAUD/board/?sprint=all")
    shot(page, f"board-{width}")
    expect(page.locator("#board")).to_contain_text("Evaluating")
    expect(page.locator("#board")).to_contain_text("Write the project charter")

    # Save it as a template on its settings page; New project then offers it.
    visit(page, watch, f"{live_server.url}/projects/FRAUD/settings/")
    form = page.locator("#save-as-template")
    form.get_by_label("Template name").fill("Fraud setup")
    form.get_by_role("button", name="Save as template").click()
    expect(page.get_by_text("Saved as the template “Fraud setup”")).to_be_visible()
    shot(page, f"settings-{width}")
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["viewport"], found["culprits"]
    visit(page, watch, f"{live_server.url}/projects/new/")
    expect(page.locator("#template-choice")).to_contain_text("Fraud setup")

    visit(page, watch, f"{live_server.url}/portfolio/")
    shot(page, f"portfolio-{width}")
    table = page.locator("#portfolio")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.locator("#portfolio-FRAUD")).to_contain_text("val_f1")
    expect(page.locator("#portfolio-FRAUD")).to_contain_text("no run yet")
    expect(page.locator("#portfolio-PF1")).to_contain_text("2 of 5 points")
    expect(page.locator("#portfolio-OTHER")).to_contain_text("viewer")
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["viewport"], found["culprits"]

    page.get_by_role("link", name="Name", exact=True).first.click()
    page.wait_for_url("**/portfolio/?sort=name")
    keys = page.locator("#portfolio tbody tr").evaluate_all("(rows) => rows.map((r) => r.id)")
    assert keys == ["portfolio-FRAUD", "portfolio-PF1", "portfolio-OTHER"]
    assert not watch.errors and not watch.console_csp and not watch.failed

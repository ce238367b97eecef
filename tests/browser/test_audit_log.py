"""The audit log page in Chromium: a change made in the pages shows up for the admin, with
its filters usable, and nothing is wider than a phone's viewport."""

import pytest

from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.browser


def test_a_page_write_is_listed_and_the_page_fits_a_phone(signed_in_page, live_server, tmp_path):
    page, user = signed_in_page
    project = ProjectFactory(key="AUD", name="Audited")
    MembershipFactory(project=project, user=user, role=Role.ADMIN)
    page.goto(f"{live_server.url}/projects/AUD/tickets/new/")
    page.get_by_label("Title").fill("Written through the page")
    page.get_by_role("button", name="Create").first.click()
    page.wait_for_url("**/tickets/AUD-1/")
    page.goto(f"{live_server.url}/projects/AUD/settings/")
    page.get_by_role("link", name="Open the audit log").click()
    page.wait_for_url("**/settings/audit-log/")
    row = page.locator("table.audit-table tbody tr").first
    assert "pm" in row.inner_text() and "create" in row.inner_text() and "AUD-1" in row.inner_text()
    page.get_by_label("Action").select_option("create")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**action=create**")
    assert page.locator("table.audit-table tbody tr").count() == 1
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(tmp_path / "audit-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/audit-390.png", full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path="/tmp/audit-1440.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

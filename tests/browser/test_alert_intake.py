"""Project settings → Alert intake in real Chromium at 1440 and 390 px: an admin follows the
settings link, generates a token (shown once), saves an option, and reads the deliveries a
real POST to the intake URL left; nothing is wider than the screen, no CSP violation."""

import json
import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from projects.models import Role
from tests.browser.crawl import Watch, visit
from tests.browser.test_phone_layout import OVERFLOW
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("AIHUB_SCREENSHOTS", "")
FIXTURE = Path(__file__).parents[1] / "integrations" / "fixtures" / "alertmanager_firing.json"


@pytest.mark.parametrize("width", [1440, 390])
def test_alert_intake_settings(signed_in_page, live_server, width):
    page, user = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    watch = Watch(page)
    fraud = ProjectFactory(key="FRAUD", name="Card fraud")
    MembershipFactory(project=fraud, user=user, role=Role.ADMIN)

    visit(page, watch, f"{live_server.url}/projects/FRAUD/settings/")
    page.get_by_role("link", name="Set up the Alertmanager webhook").click()
    page.wait_for_url("**/settings/alert-intake/")
    page.get_by_role("button", name="Generate a token").click()
    token = page.locator("#alert-intake-token").input_value()
    url = page.locator("#alert-intake-url").input_value()
    assert token.startswith("aia_") and url == f"{live_server.url}/api/v1/projects/FRAUD/alert-intake/alertmanager/"

    sent = requests.post(url, data=FIXTURE.read_bytes(), headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert sent.status_code == 200, sent.text
    assert requests.post(url, data=b"{}", headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 400
    assert json.loads(sent.text)["created"] == ["FRAUD-1", "FRAUD-2"]

    page.get_by_label("Move resolved alerts to").select_option("done")
    page.get_by_role("button", name="Save options").click()
    expect(page.get_by_text("Alert intake options saved.")).to_be_visible()
    expect(page.locator("#alert-deliveries")).to_contain_text("FRAUD-2")
    expect(page.locator("#alert-deliveries")).to_contain_text("refused: Only version")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"alert-intake-{width}.png"), full_page=True)
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["viewport"], found["culprits"]
    assert not (watch.errors or watch.console_csp or watch.failed), (watch.errors, watch.console_csp, watch.failed)

"""Project settings → Webhooks in real Chromium at 1440 and 390 px: an admin follows the
settings link, adds a hook to a real local receiver (secret shown once), sends a test
event, opens the delivery log and redelivers; nothing wider than the screen, no CSP
violation."""

import os

import pytest
from playwright.sync_api import expect

from projects.models import Role
from tests.browser.crawl import Watch, visit
from tests.browser.test_phone_layout import OVERFLOW
from tests.http_receiver import Receiver, always
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("AIHUB_SCREENSHOTS", "")


@pytest.mark.parametrize("width", [1440, 390])
def test_webhooks_page(signed_in_page, live_server, settings, width):
    page, user = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    watch = Watch(page)
    cv = ProjectFactory(key="CV", name="Vision")
    MembershipFactory(project=cv, user=user, role=Role.ADMIN)
    with Receiver(always(200, "ok")) as receiver:
        settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{receiver.port}"]
        visit(page, watch, f"{live_server.url}/projects/CV/settings/")
        page.get_by_role("link", name="Manage webhooks").click()
        page.wait_for_url("**/settings/webhooks/")
        page.get_by_label("Payload URL").fill("http://localhost/hook")
        page.get_by_role("button", name="Add webhook").click()
        expect(page.get_by_text("localhost resolves to a loopback address")).to_be_visible()
        page.get_by_label("Payload URL").fill(receiver.url + "/in")
        page.get_by_role("button", name="Add webhook").click()
        expect(page.locator("#new-secret")).to_be_visible()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"webhooks-{width}.png"), full_page=True)
        found = page.evaluate(OVERFLOW)
        assert found["scrollWidth"] <= found["viewport"], found["culprits"]
        page.get_by_role("button", name="Send a test event").first.click()
        page.wait_for_url("**/deliveries/")
        assert receiver.requests[0]["headers"]["x-aihub-event"] == "webhook.test"
        page.locator("details.delivery summary").first.click()
        expect(page.locator("details.delivery").first).to_contain_text("HTTP 200")
        page.get_by_role("button", name="Redeliver").first.click()
        expect(page.locator("details.delivery")).to_have_count(2)
        assert len(receiver.requests) == 2
        page.locator("details.delivery summary").first.click()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"webhook-deliveries-{width}.png"), full_page=True)
        found = page.evaluate(OVERFLOW)
        assert found["scrollWidth"] <= found["viewport"], found["culprits"]
    assert not (watch.errors or watch.console_csp or watch.failed), (watch.errors, watch.console_csp, watch.failed)

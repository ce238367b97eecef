"""Project settings -> Import from Jira in real Chromium at 1440 and 390 px: an admin uploads
the fixture export, reads the preview (people not matched, status mapping), overrides a
status, starts the import and sees it done; nothing wider than the screen, no CSP error."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from projects.models import Role, Ticket
from tests.accounts.factories import UserFactory
from tests.browser.crawl import Watch, visit
from tests.browser.test_phone_layout import OVERFLOW
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("AIHUB_SCREENSHOTS", "")
FIXTURE = Path(__file__).resolve().parent.parent / "integrations" / "fixtures" / "jira_export.csv"


@pytest.mark.parametrize("width", [1440, 390])
def test_jira_import_page(signed_in_page, live_server, width):
    page, user = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    watch = Watch(page)
    project = ProjectFactory(key="ML", name="Machine learning")
    MembershipFactory(project=project, user=user, role=Role.ADMIN)
    MembershipFactory(project=project, user=UserFactory(username="ana", display_name="Ana Souza"))
    MembershipFactory(project=project, user=UserFactory(username="marek", email="marek.nowak@example.com"))
    visit(page, watch, f"{live_server.url}/projects/ML/settings/")
    page.get_by_role("link", name="Import a Jira CSV").click()
    page.wait_for_url("**/settings/jira-import/")
    page.get_by_label("Jira CSV export").set_input_files(str(FIXTURE))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview of jira_export.csv")).to_be_visible()
    expect(page.locator("#jira-preview")).to_contain_text("49 tickets: 49 new")
    expect(page.locator("#jira-preview")).to_contain_text("Unknown Contractor")
    assert not Ticket.objects.filter(project=project).exists()
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"jira-preview-{width}.png"), full_page=True)
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["viewport"], found["culprits"]
    page.get_by_label("Workflow status for Code Review").select_option("in_review")
    page.get_by_role("button", name="Import 49 tickets").click()
    page.wait_for_url("**/settings/jira-import/*/")
    expect(page.locator("#import-progress h2")).to_have_text("Done", timeout=30_000)
    expect(page.locator("#import-created")).to_have_text("49")
    expect(page.locator("#import-count")).to_have_text("49 of 49 rows")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"jira-import-done-{width}.png"), full_page=True)
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["viewport"], found["culprits"]
    assert Ticket.objects.get(project=project, external_ref="ML-52").status.slug == "in_review"
    page.get_by_role("link", name="Open the backlog").click()
    # Jira's ML-52 is ML-52 here too (the project has Jira's key).
    expect(page.locator("#ticket-ML-52")).to_contain_text("Évaluer le modèle sur le jeu de test gelé")
    assert not (watch.errors or watch.console_csp or watch.failed), (watch.errors, watch.console_csp, watch.failed)

"""Docs → Import Markdown in real Chromium at 1440 and 390 px: a member uploads the committed
Confluence-style export, previews the tree (nothing written), imports, follows the job to
the new tree and sees an imported image load; nothing wider than the screen, no CSP error."""

import os
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils.functional import empty
from playwright.sync_api import expect

from docs_hub.models import Doc, attachment_storage
from projects.models import Role
from tests.browser.crawl import Watch, visit
from tests.browser.test_phone_layout import OVERFLOW
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("AIHUB_SCREENSHOTS", "")
FIXTURE = Path(__file__).parent.parent / "docs_hub" / "fixtures" / "confluence_export.zip"


@pytest.fixture
def attachment_dir(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with override_settings(DOCS_ATTACHMENT_ROOT=tmp_path / "attachments"):
        attachment_storage._wrapped = empty
        yield
    attachment_storage._wrapped = empty


def fits(page):
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["viewport"], found["culprits"]


@pytest.mark.parametrize("width", [1440, 390])
def test_upload_preview_import_and_open_the_tree(signed_in_page, live_server, attachment_dir, width):
    page, user = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    watch = Watch(page)
    project = ProjectFactory(key="VIS", name="Vision")
    MembershipFactory(project=project, user=user, role=Role.MEMBER)
    visit(page, watch, f"{live_server.url}/projects/VIS/docs/")
    fits(page)  # the docs home with its Import Markdown button
    page.get_by_role("link", name="Import Markdown").click()
    page.wait_for_url("**/docs/import/markdown/")

    page.locator("#id_file").set_input_files(str(FIXTURE))
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#import-preview")
    expect(preview.locator("#preview-summary")).to_contain_text("11 pages under the top level: 11 new")
    expect(preview.locator("#preview-tree")).to_contain_text("Labeling guide \u2013 标注指南")
    expect(preview.locator("#preview-missing")).to_contain_text("[[Slack channel]]")
    assert Doc.objects.count() == 0
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"markdown-import-preview-{width}.png"), full_page=True)
    fits(page)

    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url("**/docs/import/markdown/*/")
    expect(page.locator("#import-state")).to_have_text("Done")
    expect(page.locator("#import-counts")).to_contain_text("11 pages created")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"markdown-import-done-{width}.png"), full_page=True)
    fits(page)

    page.get_by_role("link", name="Open Vision team").click()
    page.wait_for_url("**/docs/vision-team/")
    page.goto(f"{live_server.url}/projects/VIS/docs/{Doc.objects.get(title='Vision team home').slug}/")
    logo = page.locator("#doc-body img[alt='Team logo']")
    expect(logo).to_be_visible()
    assert page.evaluate("() => document.querySelector(\"#doc-body img[alt='Team logo']\").naturalWidth") == 16
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"markdown-imported-page-{width}.png"), full_page=True)
    fits(page)
    page.locator("#doc-body").get_by_role("link", name="Getting started").click()
    page.wait_for_url("**/docs/getting-started/")
    assert not (watch.errors or watch.console_csp or watch.failed), (watch.errors, watch.console_csp, watch.failed)

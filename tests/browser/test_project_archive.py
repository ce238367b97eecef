"""The project archive in real Chromium on the demo workspace: demo exports CV from the
project settings, imports the download as CV3 from the project list's "Import a project",
follows the job page (htmx polling) to the new project, and exports the backlog as CSV; the
pages at 1440 and 390 px with nothing wider than the screen and no CSP violation."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from integrations.models import ImportJob
from projects.models import Project
from tests.browser.crawl import Watch, visit
from tests.browser.demo_workspace import sign_in
from tests.browser.test_phone_layout import OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("AIHUB_SCREENSHOTS", "")


def fits(page):
    found = page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["viewport"], found["culprits"]


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_export_then_import_cv_through_the_pages(page, live_server, demo, tmp_path):
    sign_in(page, live_server, "demo")
    watch = Watch(page)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        visit(page, watch, f"{live_server.url}/projects/CV/settings/")
        card = page.locator("#export-project")
        card.scroll_into_view_if_needed()
        expect(card.get_by_role("link", name="Export project")).to_be_visible()
        shot(page, f"archive-settings-{width}.png")
        fits(page)
    with page.expect_download() as download:
        page.locator("#export-project").get_by_role("link", name="Export project").click()
    archive = tmp_path / "cv.zip"
    download.value.save_as(archive)
    assert download.value.suggested_filename.startswith("CV-") and archive.stat().st_size > 1000

    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        visit(page, watch, f"{live_server.url}/projects/")
        shot(page, f"archive-project-list-{width}.png")
        fits(page)
        page.get_by_role("link", name="Import a project").click()
        page.wait_for_url("**/projects/import/")
        shot(page, f"archive-import-{width}.png")
        fits(page)
    page.locator("#id_file").set_input_files(str(archive))
    page.get_by_label("New project key").fill("CV")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("The key CV is taken by another project.")).to_be_visible()
    fits(page)
    page.locator("#id_file").set_input_files(str(archive))
    page.get_by_label("New project key").fill("CV3")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/projects/import/*/")
    expect(page.locator("#import-state")).to_have_text("Done", timeout=60_000)
    job = ImportJob.objects.get()
    assert job.status == "done" and job.project.key == "CV3"
    for width in (390, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"archive-import-job-{width}.png")
        fits(page)
    page.get_by_role("link", name="Open CV3").click()
    page.wait_for_url("**/projects/CV3/")
    assert Project.objects.get(key="CV3").tickets.count() == Project.objects.get(key="CV").tickets.count()

    visit(page, watch, f"{live_server.url}/projects/CV3/backlog/?type=bug")
    link = page.locator("#backlog-csv")
    assert link.get_attribute("href") == "/projects/CV3/backlog/export.csv?type=bug"
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("key,title,type") and len(text) > 1 and all(",bug," in row for row in text[1:])
    assert not (watch.errors or watch.console_csp or watch.failed), (watch.errors, watch.console_csp, watch.failed)

"""Docs in a real Chromium: write a page with a [[link]] and a ticket key, follow both,
see the backlinks; hostile HTML saved in a page never runs."""

import re

import pytest
from playwright.sync_api import expect

from docs_hub import services
from projects import services as project_services
from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cv_project(signed_in_page):
    page, user = signed_in_page
    project = ProjectFactory(key="CV", name="Defect detection")
    MembershipFactory(project=project, user=user, role=Role.MEMBER)
    ticket = project_services.ticket_create(project=project, reporter=user, title="Label the line-3 images")
    services.doc_create(project=project, author=user, title="Data guide", body="How we label.")
    return page, user, project, ticket


def test_write_a_page_follow_its_links_and_see_backlinks(cv_project, live_server):
    page, _, project, ticket = cv_project
    base = f"{live_server.url}/projects/{project.key}/docs"
    page.goto(f"{base}/")
    page.get_by_role("link", name="New page").first.click()
    page.get_by_label("Title").fill("Release notes")
    page.get_by_label("Body").fill(f"# Release\n\nSee [[Data guide]] and {ticket.key}.\n\n[[Glare study]]")
    # The live preview (htmx) already shows the links.
    preview = page.locator("#preview")
    expect(preview.get_by_role("link", name="Data guide")).to_have_attribute("href", "/projects/CV/docs/data-guide/")
    expect(preview.get_by_role("link", name=ticket.key)).to_be_visible()
    page.get_by_role("button", name="Create page").click()
    page.wait_for_url(f"{base}/release-notes/")
    body = page.locator("#doc-body")
    expect(body.locator("a.wikilink.missing", has_text="Glare study")).to_have_attribute("title", "Create this page")

    # Follow the [[link]]: the target page lists this page as a backlink.
    body.get_by_role("link", name="Data guide").click()
    page.wait_for_url(f"{base}/data-guide/")
    expect(page.locator("#backlinks").get_by_role("link", name="Release notes")).to_be_visible()

    # Follow the ticket key to the ticket page.
    page.go_back()
    page.wait_for_url(f"{base}/release-notes/")
    ticket_url = f"{live_server.url}/projects/CV/tickets/{ticket.key}/"
    with page.expect_navigation():
        page.locator("#doc-body").get_by_role("link", name=ticket.key).click()
    assert page.url == ticket_url
    # The ticket page loads the docs panel (htmx) and shows the backlink.
    expect(page.get_by_role("heading", name=ticket.title)).to_be_visible()
    expect(page.locator(f"#docs-for-{ticket.key}").get_by_role("link", name="Release notes")).to_be_visible()

    # The missing page link offers to create it, prefilled.
    page.goto(f"{base}/release-notes/")
    page.locator("#doc-body a.wikilink.missing").click()
    expect(page.get_by_label("Title")).to_have_value("Glare study")


def test_xss_saved_in_a_page_does_not_run(cv_project, live_server):
    page, user, project, _ = cv_project
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    payload = (
        "<script>window.__xss = 'script'; alert('script')</script>\n\n"
        "<img src=x onerror=\"window.__xss='img'; alert('img')\">\n\n"
        "<svg onload=\"window.__xss='svg'\"></svg>\n\n"
        "[click me](javascript:window.__xss='link';alert('link'))\n\n"
        "<a href=\"javascript:window.__xss='a'\">other</a>\n\n"
        "<details open ontoggle=\"window.__xss='details'\"><summary>x</summary></details>\n\n"
        "<iframe src=\"javascript:window.top.__xss='iframe'\"></iframe>\n"
    )
    services.doc_create(project=project, author=user, title="Hostile", body=payload)
    page.goto(f"{live_server.url}/projects/{project.key}/docs/hostile/")
    expect(page.get_by_role("heading", name="Hostile")).to_be_visible()
    page.locator("#doc-body").get_by_text("click me").click()
    page.locator("#doc-body").get_by_text("other").click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    # The editor's live preview gets the same text through htmx: still nothing runs.
    page.goto(f"{live_server.url}/projects/{project.key}/docs/hostile/edit/")
    page.get_by_label("Body").fill(payload + "\n\nmore")
    expect(page.locator("#preview")).to_contain_text("more")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert re.search(r"/docs/hostile/edit/$", page.url)


def test_stale_save_shows_both_texts_and_the_merge_saves(cv_project, live_server):
    page, user, project, _ = cv_project
    doc = services.doc_create(project=project, author=user, title="Runbook", body="Step one.")
    page.goto(f"{live_server.url}/projects/{project.key}/docs/runbook/edit/")
    page.get_by_label("Body").fill("Step one.\n\nMy step two.")
    # Meanwhile a teammate saves.
    teammate = MembershipFactory(project=project, role=Role.MEMBER).user
    services.doc_update(doc=doc, author=teammate, body="Step one.\n\nTheir step zero.", message="zero first")
    page.get_by_role("button", name="Save").click()
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("Someone saved this page while you were editing")
    expect(conflict).to_contain_text("zero first")
    expect(page.locator("#their-body")).to_have_value("Step one.\n\nTheir step zero.")
    expect(page.get_by_label("Body")).to_have_value("Step one.\n\nMy step two.")
    page.get_by_label("Body").fill("Step one.\n\nTheir step zero.\n\nMy step two.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/projects/{project.key}/docs/runbook/")
    expect(page.locator("#doc-body")).to_contain_text("Their step zero.")
    expect(page.locator("#doc-body")).to_contain_text("My step two.")
    expect(page.get_by_text("Saved version 3.")).to_be_visible()

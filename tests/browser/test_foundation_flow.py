import pytest
from playwright.sync_api import expect

from projects.models import Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_create_project_and_see_its_hub(signed_in_page, live_server):
    page, _ = signed_in_page
    page.get_by_role("link", name="+ New project").first.click()
    page.get_by_label("Key").fill("cv")
    page.get_by_label("Name").fill("Computer vision")
    page.get_by_label("Description").fill("Detect **defects** on the line.")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url(f"{live_server.url}/projects/CV/")
    expect(page.get_by_role("heading", name="Computer vision")).to_be_visible()
    expect(page.locator("#hub-overview strong", has_text="defects")).to_be_visible()
    expect(page.locator("#hub-members")).to_contain_text("Pat Manager")
    expect(page.get_by_text("Project CV created.")).to_be_visible()


def test_duplicate_key_shows_a_message_in_the_page(signed_in_page, live_server):
    page, _ = signed_in_page
    ProjectFactory(key="DUP")
    page.goto(f"{live_server.url}/projects/new/")
    page.get_by_label("Key").fill("DUP")
    page.get_by_label("Name").fill("Again")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("alert")).to_contain_text("taken by another project")


def test_viewer_sees_no_edit_controls_and_outsider_gets_404(signed_in_page, live_server):
    page, user = signed_in_page
    project = ProjectFactory(name="Stakeholder view")
    MembershipFactory(project=project, user=user, role=Role.VIEWER)
    page.goto(f"{live_server.url}/projects/{project.key}/")
    expect(page.get_by_role("heading", name="Stakeholder view")).to_be_visible()
    expect(page.get_by_text("read only")).to_be_visible()
    expect(page.get_by_role("link", name="Edit project")).to_have_count(0)
    hidden = ProjectFactory(name="Secret")
    MembershipFactory(project=hidden, user=UserFactory(), role=Role.ADMIN)
    response = page.goto(f"{live_server.url}/projects/{hidden.key}/")
    assert response.status == 404

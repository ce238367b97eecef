import pytest

from tests.accounts.factories import UserFactory
from tests.browser.demo_workspace import demo, demo_mlflow_store  # noqa: F401  (fixtures: the demo workspace)


@pytest.fixture
def signed_in_page(page, live_server, transactional_db):
    """A Chromium page signed in through the real sign-in form; returns (page, user)."""
    user = UserFactory(username="pm", display_name="Pat Manager")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("pm")
    page.get_by_label("Password").fill("pass-w0rd-long")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/projects/")
    return page, user

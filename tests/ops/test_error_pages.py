"""Issue 11, item 13: 403, 404 and 500 are pages of the app (its layout, a reason where one is
known, a way back), with DEBUG off as in production; a refused request logs one line."""

import logging

import pytest
from django.urls import reverse

from projects.models import Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_errors(settings):
    settings.DEBUG = False


def test_404_is_a_styled_page_with_a_way_back(client):
    client.force_login(UserFactory())
    response = client.get("/projects/NOPE/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in page and "<code>/projects/NOPE/</code>" in page
    assert 'href="/projects/">Back to your projects</a>' in page
    assert "css/app.css" in page and 'rel="icon"' in page and 'class="topbar"' in page  # the app's layout
    assert "Not Found</h1>" not in page  # not Django's bare default


def test_404_for_someone_signed_out_still_renders(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "This page does not exist" in response.content.decode()


def test_403_says_why_and_links_back_and_logs_one_line(client, caplog):
    project = ProjectFactory(key="ERR")
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    client.force_login(viewer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("projects:ticket_create", args=[project.key]))
    page = response.content.decode()
    assert response.status_code == 403
    assert "You may not do this" in page and "Your role does not allow this" in page
    assert 'href="/projects/">Back to your projects</a>' in page and "css/app.css" in page
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is None and record.exc_text is None  # no traceback
    assert record.getMessage() == (
        "Forbidden (Permission denied): /projects/ERR/tickets/new/ (Your role does not allow this (edit).)"
    )
    formatted = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "\n" not in formatted and "Traceback" not in formatted


def test_500_is_a_styled_page_that_needs_no_database_or_context(client, settings):
    settings.ROOT_URLCONF = "tests.ops.boom_urls"
    client.raise_request_exception = False
    client.force_login(UserFactory())
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and 'href="/projects/">Back to your projects</a>' in page
    assert "css/app.css" in page and 'rel="icon"' in page
    assert "boom" not in page  # no detail of the error leaks


def test_500_template_renders_without_a_request(django_assert_num_queries):
    from django.template import loader

    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "Something went wrong" in html


def test_the_favicon_is_served_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.svg")
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="' in page and 'favicon.svg" type="image/svg+xml">' in page

"""Issue 8, finding 12: every HTML page carries a Content-Security-Policy (scripts and styles
from our origin only), and the demo workspace obeys it. Crawled in Chromium: a violation,
a JavaScript error or a missing header fails the test; so does a page that stopped working
because its inline handler was removed."""

import io
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from projects.models import Membership, Project, Role, Ticket
from tests.browser.crawl import Watch, project_urls, visit
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "aihub-demo"


@pytest.fixture(scope="session")
def demo_mlflow_store(tmp_path_factory):
    """One local MLflow store per session: the demo trains its models once, later tests
    find them logged and only sync."""
    return tmp_path_factory.mktemp("demo-mlflow")


@pytest.fixture
def demo(settings, demo_mlflow_store):
    """`make demo`'s workspace: CV and CHURN with sprints, docs, and MLflow runs trained,
    logged to a local store and synced in-process (the embedded mode `make run` uses)."""
    from aihub.celery import app

    settings.MLFLOW_TRACKING_URI = f"sqlite:///{demo_mlflow_store / 'mlflow.db'}"
    settings.MLFLOW_ARTIFACT_ROOT = str(demo_mlflow_store / "artifacts")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        call_command("seed_demo", stdout=io.StringIO())
    finally:
        app.conf.task_always_eager = eager
    return Project.objects.get(key="CV")


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/projects/")


def crawl(page, live_server, urls):
    watch = Watch(page)
    foreign = []
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if urlparse(request.url).hostname not in ("127.0.0.1", "localhost") and not request.url.startswith("data:")
            else None
        ),
    )
    problems = []
    for url in urls:
        recorded = visit(page, watch, f"{live_server.url}{url}")
        if recorded["csp"]:
            problems.append(f"{url}: CSP violation {recorded['csp']}")
        if recorded["status"] and recorded["status"] < 400 and not recorded["csp_header"]:
            problems.append(f"{url}: no Content-Security-Policy header")
    problems += [f"CSP (console): {m}" for m in watch.console_csp]
    problems += [f"JS error: {m}" for m in watch.errors]
    problems += watch.failed
    problems += [f"request to another host: {u}" for u in foreign]
    return problems


def test_demo_pages_as_a_member_raise_no_csp_violation_and_no_js_error(demo, page, live_server):
    assert Membership.objects.get(project=demo, user__username="dana").role == Role.MEMBER
    urls = project_urls(demo)
    assert len(urls) > 40  # the crawl covers the demo: sprints, tickets, docs, runs
    sign_in(page, live_server, "dana")
    problems = crawl(page, live_server, urls)
    assert not problems, "\n".join(problems)
    # The pages did what their scripts are for: charts drawn, htmx sections loaded.
    page.goto(f"{live_server.url}/projects/CV/")
    page.wait_for_function(
        "() => document.querySelector('#velocity-chart') && "
        "window.Chart && window.Chart.getChart(document.querySelector('#velocity-chart'))"
    )
    run_url = next(u for u in urls if "/experiments/runs/" in u)
    page.goto(f"{live_server.url}{run_url}")
    page.wait_for_function("() => document.querySelector('canvas[data-chart]').chart !== undefined")


def test_admin_pages_django_admin_and_api_docs_work_under_the_policy(demo, page, live_server):
    source = demo.mlflow_sources.first()
    ticket = Ticket.objects.filter(project=demo).first()
    urls = [
        "/projects/CV/settings/",
        "/projects/CV/settings/workflow/",
        "/projects/CV/settings/fields/",
        "/projects/CV/members/",
        f"/projects/CV/experiments/sources/{source.pk}/",
        "/admin/",
        "/admin/projects/ticket/",
        f"/admin/projects/ticket/{ticket.pk}/change/",
        "/admin/accounts/user/",
        "/api/docs/",
    ]
    sign_in(page, live_server, "demo")
    problems = crawl(page, live_server, urls)
    assert not problems, "\n".join(problems)
    # Swagger UI runs from the sidecar's local copy and reads the schema.
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("AI Hub API", timeout=90_000)
    expect(page.locator(".opblock").first).to_be_visible()


def test_html_responses_carry_the_policy(client):
    project = ProjectFactory(key="CV")
    client.force_login(MembershipFactory(project=project, role=Role.ADMIN).user)
    response = client.get("/projects/CV/")
    policy = response["Content-Security-Policy"]
    for directive in (
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "style-src 'self';",
    ):
        assert directive in policy
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
    assert client.get("/api/docs/")["Content-Security-Policy"] == policy  # Swagger UI: no exception
    assert client.get("/admin/", follow=True)["Content-Security-Policy"] == policy
    assert "Content-Security-Policy" not in client.get("/api/v1/projects/")  # JSON: no policy needed


def test_confirmations_and_auto_submit_work_without_inline_handlers(demo, page, live_server):
    sign_in(page, live_server, "demo")
    watch = Watch(page)
    # The role select submits itself when changed (it had onchange=).
    page.goto(f"{live_server.url}/projects/CV/members/")
    sam = Membership.objects.get(project=demo, user__username="sam")
    with page.expect_navigation():
        page.locator(f"#role-{sam.pk}").select_option("member")
    expect(page.locator(f"#role-{sam.pk}")).to_have_value("member")
    sam.refresh_from_db()
    assert sam.role == Role.MEMBER
    # Deleting a ticket asks first (it had onsubmit="return confirm(...)"): no, then yes.
    ticket = Ticket.objects.filter(project=demo).order_by("-pk").first()
    page.goto(f"{live_server.url}/projects/CV/tickets/{ticket.key}/")
    answers = iter([False, True])
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.remove_listener("dialog", watch._dialog)
    page.on("dialog", answer)
    delete = page.locator("form[data-confirm] button[type=submit]", has_text="Delete")
    delete.click()
    page.wait_for_load_state("networkidle")
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    delete.click()
    page.wait_for_url(lambda url: ticket.key not in url)
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert asked and all(ticket.key in question for question in asked)
    # (The open ticket page's live refresh may log a 404 for the ticket just deleted.)
    assert not watch.console_csp and not [e for e in watch.errors if "Response Status Error Code 404" not in e]

"""Issue 11, item 14: axe-core (vendored from the npm package, tests/browser/vendor/) finds no
critical or serious violation on any page of the demo workspace, for an admin and for a viewer."""

from pathlib import Path

import pytest

from tests.browser.crawl import Watch, project_urls, visit
from tests.browser.demo_workspace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
BLOCKING = ("critical", "serious")


@pytest.fixture
def browser_context_args(browser_context_args):
    """axe is injected as a script tag, which the app's Content-Security-Policy would refuse
    (tests/browser/test_csp.py checks the policy itself)."""
    return {**browser_context_args, "bypass_csp": True}


def axe_violations(page) -> list[str]:
    """Run axe-core on the page as it stands; one line per failing element of a critical or
    serious rule."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1).join(" "))}));
    }""")
    lines = []
    for violation in results:
        if violation["impact"] in BLOCKING:
            for node in violation["nodes"]:
                lines.append(f"{violation['impact']} {violation['id']} ({violation['help']}): {node}")
    return lines


def audit(page, live_server, urls):
    watch = Watch(page)
    problems = []
    for url in urls:
        visit(page, watch, f"{live_server.url}{url}")
        problems += [f"{url}: {line}" for line in axe_violations(page)]
    return problems


def pages(project):
    """Every page of a project, plus a filtered backlog and the error pages. Swagger UI
    (/api/docs/) is left out: it is drf-spectacular's vendored page, not ours."""
    key = project.key
    urls = [u for u in project_urls(project) if not u.startswith("/api/docs")]
    return [
        *urls,
        f"/projects/{key}/backlog/?open=1&priority=urgent",
        f"/projects/{key}/nothing-here/",
        "/no-such-page/",
    ]


def test_axe_finds_no_critical_or_serious_violation_on_the_demo(demo, page, live_server):
    from projects.models import Project

    urls = pages(demo)
    assert len(urls) > 40  # sprints, tickets, docs, runs and compare are all in the crawl
    sign_in(page, live_server, "demo")  # an admin: every form and button
    problems = audit(page, live_server, urls)
    # Open menus are part of the page too.
    page.goto(f"{live_server.url}/projects/CV/")
    page.locator("details.usermenu > summary").click()
    page.locator("#project-switcher > summary").click()
    problems += [f"open menus: {line}" for line in axe_violations(page)]
    # A viewer sees the read-only variant of each page (CHURN, where sam is a viewer).
    page.context.clear_cookies()
    sign_in(page, live_server, "sam")
    problems += [f"as a viewer: {line}" for line in audit(page, live_server, pages(Project.objects.get(key="CHURN")))]
    assert not problems, "\n".join(problems)


def test_axe_finds_no_violation_on_the_signed_out_pages(page, live_server, transactional_db):
    problems = audit(
        page, live_server, ["/accounts/login/", "/accounts/signup/", "/accounts/password_reset/", "/no-such-page/"]
    )
    assert not problems, "\n".join(problems)

"""Issue 8, finding 1 in Chromium: a sprint named `</script><script>...` that was started and
completed never runs for a viewer opening the hub, the dashboard or the sprints page; the
velocity chart still shows its name."""

import datetime

import pytest

from projects import services
from projects.models import Role
from tests.accounts.factories import UserFactory
from tests.browser.crawl import Watch, visit
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = "</script><script>window.__xss=1;window.__xss_hit('sprint')</script>"


def test_a_hostile_sprint_name_does_not_run_for_a_viewer(page, live_server):
    project = ProjectFactory(key="XS")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    today = datetime.date.today()
    sprint = services.sprint_create(
        project=project,
        name=PAYLOAD,
        goal=PAYLOAD,
        start_date=today - datetime.timedelta(days=14),
        end_date=today - datetime.timedelta(days=1),
    )
    services.ticket_create(project=project, reporter=member, title="Work", estimate=3, sprint=sprint)
    services.sprint_start(sprint=sprint, user=member)
    services.sprint_complete(sprint=sprint, user=member)
    UserFactory(username="viewer")
    MembershipFactory(project=project, user=UserFactory(username="viewer"), role=Role.VIEWER)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("pass-w0rd-long")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/projects/")
    watch = Watch(page)
    for path in (
        "/projects/XS/",
        "/projects/XS/dashboard/",
        "/projects/XS/sprints/",
        f"/projects/XS/sprints/{sprint.pk}/",
    ):
        recorded = visit(page, watch, f"{live_server.url}{path}")
        assert page.evaluate("() => window.__xss") is None, path
        assert recorded["hits"] == [] and recorded["globals"] == [], path
        assert recorded["csp"] == [], path
        if path != f"/projects/XS/sprints/{sprint.pk}/":
            # The chart is drawn, with the sprint's name as its label (text, not markup).
            labels = page.evaluate("""() => { const c = document.querySelector('#velocity-chart');
                return c && window.Chart && window.Chart.getChart(c) ? window.Chart.getChart(c).data.labels : null; }""")
            if labels is None:
                page.wait_for_function(
                    "() => window.Chart && window.Chart.getChart(document.querySelector('#velocity-chart'))"
                )
                labels = page.evaluate(
                    "() => window.Chart.getChart(document.querySelector('#velocity-chart')).data.labels"
                )
            assert labels == [PAYLOAD], path
    assert not watch.errors and not watch.dialogs

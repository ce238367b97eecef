"""Targets in real Chromium: a member adds a target (and sees a refusal in the page), makes a
gate from it in one click; the hub and the dashboard draw the best-so-far chart against the
target line, with no Content-Security-Policy violation; a viewer gets no edit controls."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from experiments.models import MetricGate
from projects.models import Role, TicketType
from tests.browser.crawl import Watch
from tests.experiments.factories import ExperimentFactory, ExperimentTicketFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = """(selector) => Array.from(document.querySelectorAll(selector)).map((canvas) => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  return chart ? chart.data.datasets.map((d) => [d.label, d.data.length]) : null;
})"""


def project_with_runs(user, role):
    project = ProjectFactory(key="CV", name="Vision")
    MembershipFactory(project=project, user=user, role=role)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    start = timezone.now() - datetime.timedelta(days=6)
    for day, f1 in enumerate([0.71, 0.78, 0.75, 0.86]):
        at = start + datetime.timedelta(days=day)
        RunFactory(experiment=experiment, name=f"sweep-{day}", metrics={"val_f1": f1}, start_time=at, end_time=at)
    return project


def test_member_adds_a_target_sees_it_drawn_and_makes_a_gate(signed_in_page, live_server):
    page, user = signed_in_page
    watch = Watch(page)
    project = project_with_runs(user, Role.MEMBER)
    epic = ExperimentTicketFactory(project=project, type=TicketType.EPIC, title="Detector v2")

    page.goto(f"{live_server.url}/projects/CV/experiments/targets/")
    page.get_by_label("MLflow metric").fill("val_f1")
    page.get_by_label("Target value").fill("0.9")
    page.get_by_label("Baseline").fill("0.7")
    page.get_by_role("button", name="Add target").click()
    expect(page.get_by_text("Target val_f1 >= 0.9 added.")).to_be_visible()
    target = page.locator("article.target")
    expect(target).to_contain_text("0.86 in sweep-3")
    expect(target).to_contain_text("0.04 to go")

    # The same metric again: the service's refusal, in the page, under the field.
    page.get_by_label("MLflow metric").fill("val_f1")
    page.get_by_label("Target value").fill("0.95")
    page.get_by_role("button", name="Add target").click()
    expect(page.locator("#id_metric_error")).to_have_text("This project already has a target on val_f1.")

    page.get_by_label("Ticket or epic").fill(epic.key)
    page.get_by_role("button", name="Create gate val_f1 >= 0.9").click()
    expect(page.get_by_text(f"Gate val_f1 >= 0.9 added to {epic.key}.")).to_be_visible()
    gate = MetricGate.objects.get()
    assert (gate.ticket_id, gate.metric, gate.op, gate.threshold) == (epic.pk, "val_f1", ">=", 0.9)

    for path, section in (("/projects/CV/", "#hub-targets"), ("/projects/CV/dashboard/", "#dashboard-targets")):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator(section)).to_contain_text("not met")
        canvas = page.locator(f"{section} canvas[data-target-chart]")
        expect(canvas).to_have_attribute("data-drawn", "1")
        # Best so far: 3 improvements and the level held until now; the target and baseline lines.
        assert page.evaluate(DRAWN, f"{section} canvas[data-target-chart]") == [
            [["Best so far", 4], ["Target", 2], ["Baseline", 2]]
        ]
        expect(page.locator(section).get_by_role("link", name="sweep-3")).to_be_visible()
    assert not watch.errors and not watch.console_csp, (watch.errors, watch.console_csp)
    assert page.evaluate("window.__csp") == []


def test_viewer_sees_targets_without_edit_controls(signed_in_page, live_server):
    page, user = signed_in_page
    project = project_with_runs(user, Role.VIEWER)
    from experiments.services import target_create

    target_create(project=project, user=None, metric="val_f1", target=0.8, primary=True)

    page.goto(f"{live_server.url}/projects/CV/")
    section = page.locator("#hub-targets")
    expect(section).to_contain_text("met")
    expect(section.locator("canvas[data-target-chart]")).to_have_attribute("data-drawn", "1")
    expect(section.get_by_text("Add or edit targets")).to_have_count(0)
    page.goto(f"{live_server.url}/projects/CV/experiments/targets/")
    expect(page.locator("#targets")).to_contain_text("val_f1")
    expect(page.locator("main form")).to_have_count(0)


def test_a_hostile_metric_key_and_run_name_stay_text(signed_in_page, live_server):
    """A metric key and run name are whatever MLflow clients logged: they reach a heading, an
    aria-label, a json_script block and a button label, and run nowhere."""
    page, user = signed_in_page
    watch = Watch(page)
    project = project_with_runs(user, Role.ADMIN)
    hit = "__xss_hit(1)"
    key = f"</script><script>{hit}</script>\"><img src=x onerror={hit}>'><svg onload={hit}>"
    RunFactory(
        experiment=project.runs.first().experiment,
        name=f"<svg onload={hit}>",
        metrics={key: 0.5},
    )
    from experiments.services import target_create

    target = target_create(project=project, user=user, metric=key, target=0.9, primary=True)

    for path in ("/projects/CV/", "/projects/CV/dashboard/", "/projects/CV/experiments/targets/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator(f"#target-{target.pk} canvas")).to_have_attribute("data-drawn", "1")
        expect(page.locator(f"#target-{target.pk} h3")).to_contain_text(key)
        expect(page.locator(f"#target-{target.pk}")).to_contain_text(f"<svg onload={hit}>")
        assert page.evaluate("window.__xss_hits") == [], path
    page.goto(f"{live_server.url}/projects/CV/experiments/targets/{target.pk}/")
    expect(page.get_by_label("MLflow metric")).to_have_value(key)
    assert page.evaluate("window.__xss_hits") == []
    assert not watch.errors and not watch.console_csp and not watch.dialogs, (watch.errors, watch.console_csp)

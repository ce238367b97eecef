"""Experiments in Chromium: the ticket panel shows a linked run with its gate status, and
the compare page draws overlaid metric-history charts."""

import pytest
from playwright.sync_api import expect

from experiments.models import MetricPoint
from projects.models import Role
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    gate,
    link,
)
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workspace(signed_in_page):
    page, user = signed_in_page
    project = ProjectFactory(key="CV", name="Defect detection")
    MembershipFactory(project=project, user=user, role=Role.MEMBER)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")
    return page, project, experiment


def test_ticket_panel_shows_the_linked_run_and_its_gate_status(workspace, live_server):
    page, project, experiment = workspace
    ticket = ExperimentTicketFactory(project=project, title="Reach 0.90 F1 on scratches")
    run = RunFactory(experiment=experiment, name="resnet50-lr0.01", metrics={"val_f1": 0.93, "loss": 0.21})
    link(run, ticket)
    gate(ticket, "val_f1", ">=", 0.9)
    gate(ticket, "recall", ">=", 0.95)
    # The ticket page lives on another branch; the panel is the fragment it loads with hx-get.
    page.goto(f"{live_server.url}/projects/CV/experiments/tickets/{ticket.key}/panel/")
    panel = page.locator(f"#experiments-panel-{ticket.key}")
    expect(panel.locator(f"#linked-runs-{ticket.key}")).to_contain_text("resnet50-lr0.01")
    expect(panel.locator(f"#linked-runs-{ticket.key}")).to_contain_text("0.93")
    expect(panel.locator(".gate-pass")).to_contain_text("val_f1 >= 0.9")
    expect(panel.locator(".gate-pass")).to_contain_text("best 0.93 in resnet50-lr0.01")
    expect(panel.locator(".gate-pending")).to_contain_text("recall >= 0.95")
    expect(panel).to_contain_text("cannot be finished until its gates pass")
    # Following the run link opens the run page.
    panel.get_by_role("link", name="resnet50-lr0.01").first.click()
    expect(page.get_by_role("heading", name="resnet50-lr0.01")).to_be_visible()
    expect(page.locator("#run-tickets")).to_contain_text(ticket.key)


def test_compare_page_draws_overlaid_history_charts(workspace, live_server):
    page, _project, experiment = workspace
    runs = [
        RunFactory(experiment=experiment, name=name, params={"lr": lr, "depth": "50"}, metrics={"loss": 0.2})
        for name, lr in (("lr-0.1", "0.1"), ("lr-0.01", "0.01"), ("lr-0.001", "0.001"))
    ]
    MetricPoint.objects.bulk_create(
        [
            MetricPoint(run=run, key="loss", step=step, value=(i + 1) / (step + 1), timestamp=step)
            for i, run in enumerate(runs)
            for step in range(30)
        ]
    )
    query = "&".join(f"run={run.run_id}" for run in runs)
    page.goto(f"{live_server.url}/projects/CV/experiments/compare/?{query}")
    expect(page.locator("#compare-table tr.differs")).to_contain_text("lr")
    expect(page.locator("#compare-table tr:not(.differs)", has_text="depth")).to_be_visible()
    canvas = page.locator("canvas[data-chart]").first
    expect(canvas).to_be_visible()
    page.wait_for_function("() => document.querySelector('canvas[data-chart]').chart !== undefined")
    assert page.evaluate("() => document.querySelector('canvas[data-chart]').chart.data.datasets.length") == 3
    drawn = page.evaluate("""() => {
        const c = document.querySelector('canvas[data-chart]');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
        return painted;
    }""")
    assert drawn > 500, "the chart canvas has no drawn pixels"


def test_ticket_page_loads_the_panel_and_links_a_run_with_htmx(workspace, live_server):
    """On the real ticket page: the panel loads by htmx, a run is searched and linked."""
    from django.urls import reverse

    page, project, experiment = workspace
    ticket = ExperimentTicketFactory(project=project, title="Tune the detector")
    url = reverse("projects:ticket", kwargs={"key": project.key, "ticket_key": ticket.key})
    RunFactory(experiment=experiment, name="effnet-b0", metrics={"val_f1": 0.91})
    gate(ticket, "val_f1", ">=", 0.9)
    page.goto(f"{live_server.url}{url}")
    panel = page.locator(f"#experiments-panel-{ticket.key}")
    expect(panel.locator(".gate-pending")).to_contain_text("val_f1 >= 0.9")
    # The panel's own htmx loads settle first: one still in flight could swap the panel again
    # and drop what was typed (a rare timeout on the Link button in CI).
    page.wait_for_load_state("networkidle")
    panel.get_by_label("Find a run to link").fill("effnet")
    panel.get_by_role("button", name="Search").click()
    panel.get_by_role("button", name="Link").click()
    expect(panel.locator(f"#linked-runs-{ticket.key}")).to_contain_text("effnet-b0")
    expect(panel.locator(".gate-pass")).to_contain_text("best 0.91 in effnet-b0")

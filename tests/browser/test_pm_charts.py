"""The PM charts on the demo dashboard in real Chromium, as a viewer (sam): cumulative flow,
cycle time, metric burn-up and runs per sprint are each drawn by Chart.js with data points,
each has its table, the flow's range can be changed, no Content-Security-Policy violation,
and on a phone (390 px) the charts fit the screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.crawl import Watch
from tests.browser.demo_workspace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Per canvas: [label, number of points, number of points with a value above zero] per dataset.
DATASETS = """(selector) => {
  const canvas = document.querySelector(selector);
  const chart = canvas && window.Chart && window.Chart.getChart(canvas);
  return chart ? chart.data.datasets.map((d) => [d.label, d.data.length, d.data.filter((v) => v !== null && v > 0).length]) : null;
}"""

CHARTS = {
    # section id: (canvas kind, table id)
    "#dashboard-flow": ("flow", "#flow-table"),
    "#dashboard-cycle_time": ("cycle", "#cycle-table"),
    "#dashboard-burnup": ("burnup", "#burnup-table"),
    "#dashboard-runs_per_sprint": ("runs", "#runs-per-sprint-table"),
}


def drawn(page, section, kind):
    canvas = page.locator(f"{section} canvas[data-pm-chart='{kind}']")
    expect(canvas).to_have_attribute("data-drawn", "1")
    return page.evaluate(DATASETS, f"{section} canvas[data-pm-chart='{kind}']")


def test_a_viewer_sees_every_pm_chart_drawn_with_data_on_the_demo_dashboard(demo, page, live_server):
    sign_in(page, live_server, "sam")  # a viewer of CV
    watch = Watch(page)
    page.goto(f"{live_server.url}/projects/CV/dashboard/")

    flow = {label: (points, filled) for label, points, filled in drawn(page, "#dashboard-flow", "flow")}
    labels = list(flow)
    assert labels[0] == "Done" and labels[-1] == "To do"  # finished at the bottom of the stack
    assert all(points == 30 for points, _ in flow.values()) and flow["Done"][1] and flow["To do"][1]
    cycle = drawn(page, "#dashboard-cycle_time", "cycle")
    assert cycle[0][0] == "Tickets" and cycle[0][1] == 8 and cycle[0][2] >= 3  # several bins hold tickets
    expect(page.locator("#cycle-median")).to_contain_text(" d")
    burnup = drawn(page, "#dashboard-burnup", "burnup")
    assert [label for label, *_ in burnup] == ["Best so far", "Target", "Baseline"]
    assert burnup[0][1] == 14 and 3 <= burnup[0][2] < 14  # days lived so far have a best; days to come none
    runs = drawn(page, "#dashboard-runs_per_sprint", "runs")
    assert [label for label, *_ in runs] == ["Runs", "Failed"]
    assert runs[0][1] == 3 and runs[0][2] == 3 and runs[1][2] == 3  # every sprint had runs and failures

    for section, (_kind, table) in CHARTS.items():
        expect(page.locator(f"{section} details summary")).to_be_visible()
        assert page.locator(f"{table} tbody tr").count() > 0, table
    assert page.locator("#flow-table tbody tr").count() == 30
    expect(page.locator("#runs-per-sprint-table tbody tr").first).to_contain_text("Sprint 0")

    # Another range: the section comes back and is drawn again, over the sprint's days so far.
    page.locator("#flow-range").select_option("sprint")
    page.wait_for_function(
        """() => { const c = document.querySelector("#dashboard-flow canvas[data-pm-chart='flow']");
                  const chart = c && window.Chart.getChart(c); return chart && chart.data.labels.length === 6; }"""
    )
    assert not watch.errors and not watch.console_csp, (watch.errors, watch.console_csp)
    assert page.evaluate("window.__csp") == []


def test_the_pm_charts_fit_a_phone(demo, page, live_server):
    sign_in(page, live_server, "sam")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/projects/CV/dashboard/")
    for section, (kind, _table) in CHARTS.items():
        drawn(page, section, kind)
        box = page.locator(f"{section} canvas").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (section, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

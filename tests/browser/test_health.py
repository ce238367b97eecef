"""Health and the forecast in real Chromium, as a viewer (sam) on the demo workspace's CV
dashboard: the health panel with its reasons, the forecast's chart drawn with data points
and its table, another scope chosen without leaving the page, no edit controls, and no
Content-Security-Policy violation; the hub shows the status and the top reason."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.crawl import Watch
from tests.browser.demo_workspace import sign_in

NOT_ON_TRACK = re.compile("^(At risk|Off track)$")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = """(selector) => Array.from(document.querySelectorAll(selector)).map((canvas) => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  return chart ? chart.data.datasets.map((d) => [d.label, d.data.length, d.data.filter((v) => v > 0).length]) : null;
})"""


def test_a_viewer_reads_health_and_the_forecast_on_the_demo_dashboard(page, live_server, demo):
    watch = Watch(page)
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/projects/CV/dashboard/")

    panel = page.locator("#health")
    expect(panel.locator("#health-status")).to_have_text(NOT_ON_TRACK)
    reasons = panel.locator("li.health-reason")
    codes = reasons.evaluate_all("(items) => items.map((li) => li.dataset.code)")
    assert {"blocked_tickets", "high_risks"} <= set(codes), codes
    expect(panel).to_contain_text("blocked for more than 3 days")
    expect(panel).to_contain_text("Scratch labels disagree between QA shifts")

    section = page.locator("#forecast")
    expect(section.locator("#forecast-p50")).to_be_visible()
    expect(section.locator("#forecast-p85")).to_be_visible()
    expect(section.locator("#forecast-history")).to_contain_text("trials drawing each day")
    canvas = section.locator("canvas[data-forecast-chart]")
    expect(canvas).to_have_attribute("data-drawn", "1")
    (datasets,) = page.evaluate(DRAWN, "#forecast canvas[data-forecast-chart]")
    (bars_label, bars, with_trials), (_line, points, _) = datasets
    assert bars_label == "Trials finished that day" and bars == points and with_trials >= 3
    rows = section.locator("#forecast-table tbody tr")
    assert rows.count() == bars

    # Another scope: an epic, swapped in place and drawn again.
    section.get_by_label("An epic").check()
    section.locator("#forecast-epic").select_option(index=1)
    section.get_by_role("button", name="Forecast").click()
    expect(page.locator("#forecast")).to_contain_text("For epic CV-")
    expect(page.locator("#forecast canvas[data-forecast-chart]")).to_have_attribute("data-drawn", "1")
    assert page.url.endswith("/projects/CV/dashboard/")

    # A viewer: nothing to change here.
    main = page.locator("main")
    expect(main.locator("form[method='post']")).to_have_count(0)
    expect(main.get_by_role("link", name="Health thresholds")).to_have_count(0)

    page.goto(f"{live_server.url}/projects/CV/")
    expect(page.locator("#hub-health .health-badge")).to_have_text(NOT_ON_TRACK)
    expect(page.locator("#hub-health .health-top-reason")).not_to_be_empty()
    assert not watch.errors and not watch.console_csp, (watch.errors, watch.console_csp)

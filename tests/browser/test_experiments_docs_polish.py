"""Issue 11 items 10, 11 and 15 in Chromium: the runs table scrolls inside its card at 1440 px
with every column reachable, the run page keeps long artifact paths in their card and the tags
card off the charts, and choosing a doc template loads it into the editor and preview at once."""

import re

import pytest
from playwright.sync_api import expect

from docs_hub import services as doc_services
from experiments.models import MetricPoint
from projects.models import Role
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    link,
)
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE_METRICS = {f"validation_metric_number_{i:02d}": 0.123456 * i for i in range(12)}
WIDE_PARAMS = {f"hyperparameter_setting_{i:02d}": f"value-{i}-" + "x" * 16 for i in range(12)}


@pytest.fixture
def workspace(signed_in_page):
    page, user = signed_in_page
    project = ProjectFactory(key="CV", name="Defect detection")
    MembershipFactory(project=project, user=user, role=Role.MEMBER)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")
    return page, user, project, experiment


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_wide_runs_table_scrolls_inside_its_card(workspace, live_server, width, height):
    page, _, project, experiment = workspace
    page.set_viewport_size({"width": width, "height": height})
    tickets = [ExperimentTicketFactory(project=project, title=f"Ticket {i}") for i in range(3)]
    for i in range(4):
        run = RunFactory(experiment=experiment, name=f"wide-run-{i}", metrics=WIDE_METRICS, params=WIDE_PARAMS)
        for ticket in tickets:
            link(run, ticket)
    page.goto(f"{live_server.url}/projects/CV/experiments/e/{experiment.pk}/")
    expect(page.locator("#runs-table tbody tr")).to_have_count(4)
    assert fits(page), "the page is wider than the window"
    scroller = page.locator(".runs-table-scroll")
    # The table scrolls inside its card (on phones the table element itself is the scroller).
    assert scroller.evaluate(
        "el => el.scrollWidth > el.clientWidth || "
        "el.querySelector('table').scrollWidth > el.querySelector('table').clientWidth"
    )
    tickets_cell = page.locator("#runs-table tbody tr").first.locator("td.run-tickets")
    tickets_cell.scroll_into_view_if_needed()
    box, frame = tickets_cell.bounding_box(), scroller.bounding_box()
    assert box["x"] >= frame["x"] - 1 and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    expect(tickets_cell.get_by_role("link", name=tickets[0].key)).to_be_visible()


def test_column_chooser_narrows_the_table_and_is_remembered(workspace, live_server):
    page, _, _project, experiment = workspace
    page.set_viewport_size({"width": 1440, "height": 900})
    RunFactory(experiment=experiment, name="r1", metrics=WIDE_METRICS, params=WIDE_PARAMS)
    url = f"{live_server.url}/projects/CV/experiments/e/{experiment.pk}/"
    page.goto(url)
    page.locator("#column-chooser summary").click()
    for key in WIDE_METRICS:
        if key != "validation_metric_number_03":
            page.get_by_label(key, exact=True).uncheck()
    for key in WIDE_PARAMS:
        page.get_by_label(key, exact=True).uncheck()
    page.get_by_role("button", name="Show these columns").click()
    page.wait_for_url(url)
    headers = page.locator("#runs-table thead th")
    expect(headers.filter(has_text="validation_metric_number_03")).to_have_count(1)
    expect(headers.filter(has_text="validation_metric_number_04")).to_have_count(0)
    page.goto(url)  # remembered
    expect(headers.filter(has_text="hyperparameter_setting_00")).to_have_count(0)
    assert page.locator(".runs-table-scroll").evaluate("el => el.scrollWidth <= el.clientWidth")


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_run_page_keeps_the_artifact_path_in_its_card_and_spaces_the_tags(workspace, live_server, width, height):
    page, _, _project, experiment = workspace
    page.set_viewport_size({"width": width, "height": height})
    run = RunFactory(
        experiment=experiment,
        name="long-path",
        tags={"mlflow.user": "dana", "team": "vision"},
        artifact_uri="mlflow-artifacts:/" + "/".join(["0123456789abcdef0123456789abcdef"] * 4),
        metrics={"loss": 0.5},
    )
    MetricPoint.objects.bulk_create(
        [MetricPoint(run=run, key="loss", step=s, value=1 / (s + 1), timestamp=s) for s in range(5)]
    )
    page.goto(f"{live_server.url}/projects/CV/experiments/runs/{run.run_id}/")
    expect(page.get_by_text("by dana")).to_be_visible()
    code = page.locator(".artifact-path code").bounding_box()
    card = page.locator(".artifact-path").locator("xpath=ancestor::section[1]").bounding_box()
    assert code["x"] + code["width"] <= card["x"] + card["width"] + 1
    assert fits(page)
    charts = page.locator(".chart-grid").bounding_box()
    tags = page.locator(".run-tags").bounding_box()
    assert tags["y"] - (charts["y"] + charts["height"]) >= 12


def test_choosing_a_template_loads_it_into_the_editor_and_preview(workspace, live_server):
    page, user, project, _ = workspace
    doc_services.doc_create(project=project, author=user, title="First", body="One.")
    doc_services.doc_create(project=project, author=user, title="Second", body="Two.")
    page.goto(f"{live_server.url}/projects/CV/docs/new/")
    page.get_by_label("Template").select_option(label="Experiment report")
    expect(page.locator("#id_body")).to_have_value(re.compile(r"^## Hypothesis"))
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="Hypothesis")).to_be_visible()
    hint = preview.locator(".macro-placeholder").first
    expect(hint).to_contain_text("pick a run")
    # Text the writer typed is not replaced without asking; a dismissed question keeps it.
    page.locator("#id_body").fill("My own notes")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_label("Template").select_option(label="Model card")
    expect(page.locator("#id_body")).to_have_value("My own notes")


def test_tree_reorder_arrows_are_named_framed_buttons(workspace, live_server):
    page, user, project, _ = workspace
    doc_services.doc_create(project=project, author=user, title="First", body="One.")
    doc_services.doc_create(project=project, author=user, title="Second", body="Two.")
    page.goto(f"{live_server.url}/projects/CV/docs/first/")
    down = page.get_by_role("button", name="Move First down")
    expect(down).to_have_attribute("title", "Move First down")
    assert down.evaluate("el => getComputedStyle(el).borderTopWidth") != "0px"
    assert down.evaluate("el => getComputedStyle(el.parentElement).opacity") == "1"

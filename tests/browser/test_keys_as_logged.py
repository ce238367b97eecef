"""Issue 11, item 9: MLflow keys are case-sensitive, so metric, param and tag keys and run
names read exactly as logged (no CSS uppercasing) on the run page, the runs table, the
compare page and the ticket's linked-runs panel. Chromium's innerText applies CSS
text-transform, so it reads what a user sees."""

import re

import pytest
from playwright.sync_api import expect

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


def test_keys_and_run_names_read_exactly_as_logged(signed_in_page, live_server):
    page, user = signed_in_page
    project = ProjectFactory(key="CV", name="Defect detection")
    MembershipFactory(project=project, user=user, role=Role.MEMBER)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")
    run = RunFactory(
        experiment=experiment,
        name="resnet50-lowLR",
        metrics={"val_f1": 0.93, "Val_F1": 0.5},
        params={"learning_rate": "0.01"},
        tags={"mlflow.runName": "resnet50-lowLR"},
    )
    other = RunFactory(
        experiment=experiment, name="baseline", metrics={"val_f1": 0.9, "Val_F1": 0.4}, params={"learning_rate": "0.1"}
    )
    ticket = ExperimentTicketFactory(project=project, title="Reach 0.90 F1")
    link(run, ticket)

    def seen(locator):
        return locator.evaluate("el => el.innerText").strip()

    page.goto(f"{live_server.url}/projects/CV/experiments/runs/{run.run_id}/")
    for key in ("val_f1", "Val_F1", "learning_rate", "mlflow.runName"):
        cell = page.locator("th", has_text=re.compile(rf"^{re.escape(key)}$"))  # case-sensitive
        expect(cell).to_be_visible()
        assert seen(cell) == key

    page.goto(f"{live_server.url}/projects/CV/experiments/e/{experiment.pk}/")
    header = page.locator("thead th", has_text=re.compile(r"^val_f1\b"))
    expect(header).to_be_visible()
    assert seen(header).split()[0] == "val_f1"

    page.goto(f"{live_server.url}/projects/CV/experiments/compare/?run={run.run_id}&run={other.run_id}")
    name_header = page.locator("thead th", has_text="resnet50").first
    expect(name_header).to_be_visible()
    assert seen(name_header).splitlines()[0] == "resnet50-lowLR"
    assert seen(page.locator("tbody th", has_text=re.compile(r"^learning_rate\b"))).splitlines()[0] == "learning_rate"

    page.goto(f"{live_server.url}/projects/CV/experiments/tickets/{ticket.key}/panel/")
    panel_header = page.locator(f"#experiments-panel-{ticket.key} thead th", has_text=re.compile(r"^val_f1$"))
    expect(panel_header).to_be_visible()
    assert seen(panel_header) == "val_f1"

"""Targets in pages: the section the hub and dashboard load (best value, run link, gap, chart
data), its cost at 10 and 1,000 runs, the page's add/edit/delete forms with their messages,
and "create gate from target"."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from experiments.models import MetricGate, Run, Target
from projects.models import TicketType
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    TargetFactory,
)
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def experiment(project):
    return ExperimentFactory(source=MlflowSourceFactory(project=project))


def section(client, project):
    return client.get(reverse("experiments:targets_section", args=[project.key]), HTTP_HX_REQUEST="true")


def chart_data(html: str, target: Target) -> dict:
    match = re.search(rf'<script id="target-chart-{target.pk}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_section_shows_best_value_run_link_gap_and_chart(client, project, experiment, member_of):
    start = timezone.now() - datetime.timedelta(days=3)
    RunFactory(experiment=experiment, metrics={"val_f1": 0.81}, start_time=start, end_time=start)
    best = RunFactory(
        experiment=experiment, name="gbt-depth2", metrics={"val_f1": 0.9123}, end_time=start + datetime.timedelta(1)
    )
    target = TargetFactory(project=project, metric="val_f1", target=0.95, baseline=0.7, primary=True)
    met = TargetFactory(project=project, metric="val_f1_low", target=0.5)
    RunFactory(experiment=experiment, metrics={"val_f1_low": 0.6})
    client.force_login(member_of(project, "viewer"))

    html = section(client, project).content.decode()

    run_url = reverse("experiments:run", args=[project.key, best.run_id])
    assert f'<a href="{run_url}">gbt-depth2</a>' in html
    assert "0.9123" in html and "0.0377 to go" in html and "primary" in html
    assert 'class="badge badge-warn">not met' in html and 'class="badge badge-ok">met' in html
    data = chart_data(html, target)
    assert data["target"] == 0.95 and data["baseline"] == 0.7 and data["metric"] == "val_f1"
    assert [value for _ms, value in data["points"]] == [0.81, 0.9123]
    assert data["points"][1][0] == int(best.end_time.timestamp() * 1000)
    assert f'data-target-chart="target-chart-{target.pk}"' in html and "js/targets.js" in html
    assert chart_data(html, met)["points"]
    # A viewer gets no edit controls.
    assert "Add or edit targets" not in html and "<form" not in html


def test_section_without_targets_and_for_outsiders(client, project, member_of):
    client.force_login(member_of(project, "member"))
    html = section(client, project).content.decode()
    assert "No targets yet." in html and "Add or edit targets" in html
    client.force_login(member_of(ProjectFactory(), "admin"))
    assert section(client, project).status_code == 404


def test_hub_and_dashboard_load_the_section(client, project, member_of):
    client.force_login(member_of(project, "viewer"))
    fragment = reverse("experiments:targets_section", args=[project.key])
    hub = client.get(reverse("projects:hub", args=[project.key])).content.decode()
    dashboard = client.get(reverse("projects:dashboard", args=[project.key])).content.decode()
    assert f'id="hub-targets" hx-get="{fragment}"' in hub
    assert f'id="dashboard-targets" hx-get="{fragment}"' in dashboard
    # The dashboard as a hub section does not nest the targets a second time.
    partial = client.get(reverse("projects:dashboard", args=[project.key]), HTTP_HX_REQUEST="true").content.decode()
    assert fragment not in partial


def _bulk_runs(experiment, count):
    start = timezone.now() - datetime.timedelta(days=5)
    Run.objects.bulk_create(
        RunFactory.build(
            experiment=experiment,
            start_time=start + datetime.timedelta(minutes=n),
            end_time=start + datetime.timedelta(minutes=n + 1),
            metrics={"val_f1": (n * 7919 % 1000) / 1000, "val_loss": 1 - n / count},
        )
        for n in range(count)
    )


def test_section_and_page_cost_the_same_queries_for_10_and_1000_runs(client, member_of, django_assert_max_num_queries):
    counts = {}
    for key, size in (("SMALL", 10), ("BIG", 1000)):
        project = ProjectFactory(key=key)
        _bulk_runs(ExperimentFactory(source=MlflowSourceFactory(project=project)), size)
        TargetFactory(project=project, metric="val_f1", target=0.95, primary=True)
        TargetFactory(project=project, metric="val_loss", direction="lower", target=0.01)
        ExperimentTicketFactory(project=project)
        client.force_login(member_of(project, "member"))
        for name, budget in (("experiments:targets_section", 5), ("experiments:targets", 8)):
            page = reverse(name, args=[project.key])
            client.get(page)
            with django_assert_max_num_queries(budget, info=page) as captured:
                answer = client.get(page, HTTP_HX_REQUEST="true")
            assert answer.status_code == 200
            counts[(name, size)] = len(captured)
    assert counts[("experiments:targets_section", 10)] == counts[("experiments:targets_section", 1000)], counts
    assert counts[("experiments:targets", 10)] == counts[("experiments:targets", 1000)], counts


def test_page_adds_edits_and_deletes_with_messages_in_the_page(client, project, member_of):
    client.force_login(member_of(project, "member"))
    page = reverse("experiments:targets", args=[project.key])
    assert 'id="target-form"' in client.get(page).content.decode()

    added = client.post(page, {"metric": "val_f1", "direction": "higher", "target": "0.9", "deadline": "2027-02-01"})
    assert added.status_code == 302
    target = Target.objects.get()
    assert (target.metric, target.target, target.deadline) == ("val_f1", 0.9, datetime.date(2027, 2, 1))
    assert "Target val_f1 &gt;= 0.9 added." in client.get(page).content.decode()

    refused = client.post(page, {"metric": "val_f1", "direction": "higher", "target": "0.95"})
    assert refused.status_code == 200 and "This project already has a target on val_f1." in refused.content.decode()
    refused = client.post(page, {"metric": "val_loss", "direction": "lower", "target": ""})
    assert 'id="id_target_error"' in refused.content.decode() and Target.objects.count() == 1

    edit = reverse("experiments:target_edit", args=[project.key, target.pk])
    assert 'value="val_f1"' in client.get(edit).content.decode()
    saved = client.post(edit, {"metric": "val_f1", "direction": "higher", "target": "0.92", "primary": "on"})
    assert saved.status_code == 302
    target.refresh_from_db()
    assert target.target == 0.92 and target.primary
    refused = client.post(edit, {"metric": "val_f1", "direction": "sideways", "target": "0.92"})
    assert refused.status_code == 200 and 'id="id_direction_error"' in refused.content.decode()

    deleted = client.post(reverse("experiments:target_delete", args=[project.key, target.pk]))
    assert deleted.status_code == 302 and not Target.objects.exists()


def test_viewer_reads_the_page_but_cannot_write(client, project, member_of):
    target = TargetFactory(project=project)
    client.force_login(member_of(project, "viewer"))
    html = client.get(reverse("experiments:targets", args=[project.key])).content.decode()
    assert "val_f1" in html and "<form" not in html.split('id="main"')[1]
    page = reverse("experiments:targets", args=[project.key])
    assert client.post(page, {"metric": "x", "direction": "higher", "target": "1"}).status_code == 403
    assert client.get(reverse("experiments:target_edit", args=[project.key, target.pk])).status_code == 403
    assert client.post(reverse("experiments:target_delete", args=[project.key, target.pk])).status_code == 403
    gate = reverse("experiments:target_gate", args=[project.key, target.pk])
    assert client.post(gate, {"ticket": "CV-1"}).status_code == 403
    assert Target.objects.count() == 1


def test_create_gate_from_target_in_one_click(client, project, member_of):
    target = TargetFactory(project=project, metric="val_loss", direction="lower", target=0.2)
    epic = ExperimentTicketFactory(project=project, type=TicketType.EPIC, title="Detector v2")
    client.force_login(member_of(project, "member"))
    page = client.get(reverse("experiments:targets", args=[project.key])).content.decode()
    assert f'<option value="{epic.key}">' in page and "Create gate val_loss &lt;= 0.2" in page

    made = client.post(reverse("experiments:target_gate", args=[project.key, target.pk]), {"ticket": epic.key})

    assert made.status_code == 302
    gate = MetricGate.objects.get()
    assert (gate.ticket, gate.metric, gate.op, gate.threshold) == (epic, "val_loss", "<=", 0.2)
    refused = client.post(reverse("experiments:target_gate", args=[project.key, target.pk]), {"ticket": "CV-999"})
    assert refused.status_code == 200 and "No ticket with this key in the project." in refused.content.decode()
    again = client.post(reverse("experiments:target_gate", args=[project.key, target.pk]), {"ticket": epic.key})
    assert "already has a gate" in again.content.decode() and MetricGate.objects.count() == 1

"""Experiments pages: content, roles, htmx partials and query budgets at two sizes."""

import pytest
from django.urls import reverse

from experiments.models import MetricPoint, RunLink
from tests.accounts.factories import UserFactory
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    gate,
    link,
)
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def experiment(project):
    return ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")


def make_runs(experiment, n, ticket=None):
    runs = [
        RunFactory(
            experiment=experiment,
            name=f"run-{i:03d}",
            metrics={"val_f1": i / 100, "loss": 1 - i / 100},
            params={"lr": str(0.1 / (i + 1)), "depth": str(i % 5)},
        )
        for i in range(n)
    ]
    if ticket:
        for run in runs:
            link(run, ticket)
    return runs


@pytest.mark.parametrize("size", [3, 30])
def test_runs_table_costs_constant_queries(client, project, experiment, member_of, django_assert_max_num_queries, size):
    ticket = ExperimentTicketFactory(project=project)
    make_runs(experiment, size, ticket)
    client.force_login(member_of(project, "viewer"))
    url = reverse("experiments:experiment", args=[project.key, experiment.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url, {"sort": "-metrics.val_f1"})
    assert response.status_code == 200
    body = response.content.decode()
    top = f"run-{size - 1:03d}"
    assert body.index(top) < body.index("run-000")  # sorted by val_f1, best first
    assert "val_f1" in body and "depth" in body and ticket.key in body


def test_runs_table_filters_paginates_and_serves_its_partial(client, project, experiment, member_of):
    make_runs(experiment, 55)
    RunFactory(experiment=experiment, name="crashed", status="FAILED")
    client.force_login(member_of(project, "viewer"))
    url = reverse("experiments:experiment", args=[project.key, experiment.pk])
    page1 = client.get(url).content.decode()
    assert "Page 1 of 2" in page1 and "56 runs" in page1
    failed = client.get(url, {"status": "FAILED"}, HTTP_HX_REQUEST="true")
    html = failed.content.decode()
    assert "crashed" in html and "run-001" not in html and "<html" not in html  # the partial only
    assert "run-007" in client.get(url, {"q": "run-007"}).content.decode()


@pytest.mark.parametrize("size", [2, 20])
def test_ticket_panel_costs_constant_queries(
    client, project, experiment, member_of, django_assert_max_num_queries, size
):
    ticket = ExperimentTicketFactory(project=project, estimate=5)
    make_runs(experiment, size, ticket)
    gate(ticket, "val_f1", ">=", 0.15)
    gate(ticket, "loss", "<", 0.0)
    client.force_login(member_of(project, "member"))
    url = reverse("experiments:ticket_panel", args=[project.key, ticket.key])
    with django_assert_max_num_queries(12):
        response = client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "val_f1 &gt;= 0.15" in html and "loss &lt; 0" in html
    assert "pass" in html and "fail" in html  # 0.15 reached only when size is 20; loss < 0 never
    assert f"{size} runs" in html and "estimate 5 points" in html and "Unlink" in html


def test_ticket_panel_gate_states_and_actuals(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project)
    run = RunFactory(experiment=experiment, name="best", metrics={"val_f1": 0.93})  # 30 minutes
    link(run, ticket)
    gate(ticket, "val_f1", ">=", 0.9)
    gate(ticket, "auc", ">=", 0.8)
    client.force_login(member_of(project, "viewer"))
    html = client.get(reverse("experiments:ticket_panel", args=[project.key, ticket.key])).content.decode()
    assert "30 min 00 s" in html
    assert "best 0.93 in" in html and "no finished run has auc yet" in html
    assert "Unlink" not in html and "Add gate" not in html  # a viewer sees no edit controls


def test_ticket_panel_link_search_unlink_and_gate_form(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project)
    run = RunFactory(experiment=experiment, name="resnet-lr0.01", params={"lr": "0.01"})
    client.force_login(member_of(project, "member"))
    search = client.get(reverse("experiments:ticket_run_search", args=[project.key, ticket.key]), {"q": "lr=0.01"})
    assert "resnet-lr0.01" in search.content.decode()
    linked = client.post(
        reverse("experiments:ticket_link_run", args=[project.key, ticket.key]),
        {"run_id": run.run_id},
        HTTP_HX_REQUEST="true",
    )
    assert "resnet-lr0.01" in linked.content.decode() and RunLink.objects.filter(ticket=ticket, active=True).exists()
    bad_gate = client.post(
        reverse("experiments:ticket_gate_add", args=[project.key, ticket.key]),
        {"metric": "val_f1", "op": ">=", "threshold": "abc"},
        HTTP_HX_REQUEST="true",
    )
    assert bad_gate.status_code == 200 and "Enter a number" in bad_gate.content.decode()
    client.post(
        reverse("experiments:ticket_unlink_run", args=[project.key, ticket.key, run.run_id]), HTTP_HX_REQUEST="true"
    )
    assert not RunLink.objects.filter(ticket=ticket, active=True).exists()


def test_viewer_cannot_write_and_outsider_gets_404(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project)
    run = RunFactory(experiment=experiment)
    client.force_login(member_of(project, "viewer"))
    assert (
        client.post(
            reverse("experiments:ticket_link_run", args=[project.key, ticket.key]), {"run_id": run.run_id}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("experiments:sources", args=[project.key]),
            {"tracking_uri": "http://x:5000", "experiment_names": "a"},
        ).status_code
        == 403
    )
    client.force_login(UserFactory())
    for url in [
        reverse("experiments:index", args=[project.key]),
        reverse("experiments:run", args=[project.key, run.run_id]),
        reverse("experiments:ticket_panel", args=[project.key, ticket.key]),
    ]:
        assert client.get(url).status_code == 404


def test_run_page_and_compare_page(client, project, experiment, member_of):
    a, b = make_runs(experiment, 2)
    MetricPoint.objects.bulk_create(
        [MetricPoint(run=r, key="loss", step=s, value=1 / (s + 1), timestamp=s) for r in (a, b) for s in range(5)]
    )
    client.force_login(member_of(project, "viewer"))
    page = client.get(reverse("experiments:run", args=[project.key, a.run_id])).content.decode()
    assert a.run_id in page and 'data-chart="chart-data-1"' in page and "chart-4.6.1.umd.min.js" in page
    compare = client.get(reverse("experiments:compare", args=[project.key]), {"run": [a.run_id, b.run_id]})
    html = compare.content.decode()
    assert 'class="differs"' in html and "run-000" in html and "run-001" in html
    one = client.get(reverse("experiments:compare", args=[project.key]), {"run": [a.run_id]}).content.decode()
    assert "Pick 2 to 10 runs" in one


def test_sources_page_and_test_connection_answers_at_once(client, project, member_of):
    client.force_login(member_of(project, "admin"))
    assert "Connect an MLflow server" in client.get(reverse("experiments:sources", args=[project.key])).content.decode()
    from tests.experiments.mlflow_server import free_port

    answer = client.post(
        reverse("experiments:source_test", args=[project.key]),
        {"tracking_uri": f"http://127.0.0.1:{free_port()}", "experiment_names": "a"},
        HTTP_HX_REQUEST="true",
    )
    assert "Cannot reach MLflow" in answer.content.decode() and "flash-error" in answer.content.decode()
    bad = client.post(
        reverse("experiments:sources", args=[project.key]),
        {
            "tracking_uri": "ftp://nope",
            "experiment_names": "a",
            "fast_interval_seconds": 300,
            "reconcile_interval_seconds": 3600,
        },
    )
    assert bad.status_code == 200 and "tracking server" in bad.content.decode()


def test_source_page_polls_while_a_sync_runs_and_lists_records(client, project, member_of):
    from experiments.models import SyncRecord

    source = MlflowSourceFactory(project=project, name="Team MLflow")
    SyncRecord.objects.create(source=source, kind="full", status="error", error="Cannot reach MLflow at x")
    running = SyncRecord.objects.create(source=source, kind="fast", status="running", pages=3, runs_seen=2500)
    client.force_login(member_of(project, "member"))
    url = reverse("experiments:source", args=[project.key, source.pk])
    html = client.get(url).content.decode()
    assert "Team MLflow" in html and "Cannot reach MLflow at x" in html
    assert 'hx-trigger="every 2s"' in html and "2500 runs read" in html and "Sync now" in html
    running.status = "ok"
    running.save()
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' not in partial and "<html" not in partial


def test_index_hub_section_and_sentinel_pages(client, project, experiment, member_of):
    RunFactory(experiment=experiment, name="visible-run")
    admin = member_of(project, "admin")
    client.force_login(admin)
    assert "detector" in client.get(reverse("experiments:index", args=[project.key])).content.decode()
    assert "visible-run" in client.get(reverse("experiments:hub_section", args=[project.key])).content.decode()
    url = reverse("experiments:sentinel", args=[project.key])
    bad = client.post(
        url,
        {
            "champion_kind": "alias",
            "model_name": "",
            "alias": "champion",
            "metric": "val_f1",
            "tolerance": "0.01",
            "higher_is_better": "on",
        },
    )
    assert "Name the registered model" in bad.content.decode()
    ok = client.post(
        url,
        {
            "champion_kind": "alias",
            "model_name": "detector",
            "alias": "champion",
            "metric": "val_f1",
            "tolerance": "0.01",
            "higher_is_better": "on",
        },
    )
    assert ok.status_code == 302
    assert "Watching <strong>val_f1</strong>" in client.get(url).content.decode()
    client.force_login(member_of(project, "viewer"))
    assert client.post(url, {"metric": "x"}).status_code == 403

"""What the experiments app registers into projects.hooks: the finish guard (gates), the
close-out snapshot, board badges, panels and tabs; plus the regression sentinel and the
beat dispatcher."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experiments.models import ModelVersion, RegressionFlag, Sentinel, SyncRecord
from experiments.services import sentinel_check, sentinel_configure, sources_dispatch_due
from projects import hooks
from projects.models import Sprint, Ticket, TicketEvent
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


def test_registrations_are_in_place():
    from experiments import selectors, services

    assert services.ticket_finish_guard in hooks.finish_guards
    assert services.ticket_closeout_snapshot in hooks.ticket_finished_handlers
    assert selectors.ticket_badges in hooks.badge_providers
    assert any(p["url_name"] == "experiments:ticket_panel" for p in hooks.ticket_panels)
    assert any(t["name"] == "experiments" and t["order"] == 50 for t in hooks.project_tabs)
    assert any(s["url_name"] == "experiments:hub_section" for s in hooks.hub_sections)
    assert any(d["name"] == "experiments" and d["order"] == 30 for d in hooks.demo_seeders)


def test_failing_or_pending_gates_block_finishing_and_passing_ones_do_not(project, experiment):
    ticket = ExperimentTicketFactory(project=project)
    assert hooks.reasons_ticket_may_not_finish(ticket, None) == []  # no gates: nothing to block
    gate(ticket, "val_f1", ">=", 0.9)
    [reason] = hooks.reasons_ticket_may_not_finish(ticket, None)
    assert "val_f1 >= 0.9 is pending: no finished linked run has val_f1 yet" in reason
    weak = RunFactory(experiment=experiment, name="weak", metrics={"val_f1": 0.8})
    link(weak, ticket)
    [reason] = hooks.reasons_ticket_may_not_finish(ticket, None)
    assert "val_f1 >= 0.9 failed (best 0.8 in weak)" in reason and "is fail" not in reason
    link(RunFactory(experiment=experiment, metrics={"val_f1": 0.95}), ticket)
    assert hooks.reasons_ticket_may_not_finish(ticket, None) == []


def test_closeout_snapshot_keeps_the_evidence_in_the_ticket_history(project, experiment):
    ticket = ExperimentTicketFactory(project=project, estimate=3)
    run = RunFactory(experiment=experiment, name="final", params={"lr": "0.01"}, metrics={"val_f1": 0.93},
                     tags={"mlflow.source.git.commit": "deadbeef"}, artifact_uri="s3://bucket/1/abc/artifacts")
    link(run, ticket)
    for handler in hooks.ticket_finished_handlers:
        handler(ticket, None)
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.SNAPSHOT)
    [snap] = event.data["runs"]
    assert snap["run_id"] == run.run_id and snap["params"] == {"lr": "0.01"} and snap["metrics"] == {"val_f1": 0.93}
    assert snap["source_commit"] == "deadbeef" and snap["artifact_uri"] == "s3://bucket/1/abc/artifacts"
    assert event.data["compute_seconds"] == 1800 and event.data["estimate"] == 3
    run.delete()  # the MLflow server (and the synced copy) wiped: the evidence stays
    assert TicketEvent.objects.get(pk=event.pk).data["runs"][0]["metrics"] == {"val_f1": 0.93}


def test_badges_for_board_cards_in_bulk(project, experiment, django_assert_max_num_queries):
    done, failing, bare = ExperimentTicketFactory(project=project), ExperimentTicketFactory(project=project), ExperimentTicketFactory(project=project)
    for i in range(3):
        link(RunFactory(experiment=experiment, metrics={"val_f1": 0.91 + i / 100}), done)
    gate(done, "val_f1", ">=", 0.9)
    link(RunFactory(experiment=experiment, metrics={"val_f1": 0.5}), failing)
    gate(failing, "val_f1", ">=", 0.9)
    with django_assert_max_num_queries(2):
        badges = hooks.badges_for(project_id=project.pk)
    assert [b["label"] for b in badges[done.pk]] == ["3 runs", "gates 1/1"] and badges[done.pk][1]["state"] == "ok"
    assert badges[failing.pk][1]["state"] == "fail" and bare.pk not in badges


def test_badges_are_asked_for_a_board_never_for_a_list_of_ids(project, experiment):
    """The providers join on the ticket's project and sprint: a board of any size sends the
    same short SQL, and a board shows only its own tickets' badges."""
    today = timezone.now().date()
    sprint = Sprint.objects.create(project=project, name="S1", start_date=today, end_date=today)
    in_sprint, outside = ExperimentTicketFactory(project=project), ExperimentTicketFactory(project=project)
    Ticket.objects.filter(pk=in_sprint.pk).update(sprint=sprint)
    elsewhere = ExperimentTicketFactory(project=ProjectFactory(key="NLP"))
    for ticket in (in_sprint, outside, elsewhere):
        link(RunFactory(experiment=experiment), ticket)
    gate(outside, "val_f1", ">=", 0.9)
    with CaptureQueriesContext(connection) as queries:
        board = hooks.badges_for(project_id=project.pk, sprint_id=sprint.pk)
    assert list(board) == [in_sprint.pk] and board[in_sprint.pk][0]["label"] == "1 run"
    assert set(hooks.badges_for(project_id=project.pk)) == {in_sprint.pk, outside.pk}
    assert len(queries) == 2
    for query in queries.captured_queries:
        assert f'"ticket_id" IN ({in_sprint.pk}' not in query["sql"] and '"project_id" = ' in query["sql"]


def test_sentinel_flags_a_new_run_below_the_champion_and_opens_a_regression_ticket(project, experiment):
    source = experiment.source
    champion = RunFactory(experiment=experiment, name="champ", metrics={"val_f1": 0.93}, params={"lr": "0.01"},
                          start_time=timezone.now() - timedelta(days=3))
    ModelVersion.objects.create(source=source, name="detector", version="4", run_id=champion.run_id,
                                aliases=["champion"])
    sentinel_configure(project=project, metric="val_f1", model_name="detector", alias="champion", tolerance=0.02)
    started = timezone.now() - timedelta(seconds=1)
    ticket = ExperimentTicketFactory(project=project, title="Try a smaller backbone")
    close = RunFactory(experiment=experiment, name="close", metrics={"val_f1": 0.92})
    worse = RunFactory(experiment=experiment, name="worse", metrics={"val_f1": 0.85}, params={"lr": "0.1"},
                       start_time=timezone.now())
    link(worse, ticket)
    flags = sentinel_check(source=source, changed_since=started)
    assert [f.run for f in flags] == [worse]
    flag = RegressionFlag.objects.get(run=worse)
    assert flag.champion_run_id == champion.run_id and flag.delta == pytest.approx(-0.08)
    regression = Sentinel.objects.get(project=project).regression_ticket
    assert regression.title == "Regression on val_f1" and regression.type == "bug"
    assert "| param `lr` | 0.01 | 0.1 |" in regression.description
    assert {"label": "regression", "title": "A linked run fell below the champion",
            "state": "fail"} in hooks.badges_for(project_id=project.pk)[ticket.pk]
    note = TicketEvent.objects.get(ticket=ticket, field="regression")
    assert "below the champion" in note.new_value and note.data["run_id"] == worse.run_id
    assert not RegressionFlag.objects.filter(run=close).exists()
    # Idempotent: the same run is not flagged twice; a second regression notes the same open ticket.
    assert sentinel_check(source=source, changed_since=started) == []
    worst = RunFactory(experiment=experiment, name="worst", metrics={"val_f1": 0.7}, start_time=timezone.now())
    sentinel_check(source=source, changed_since=started)
    assert RegressionFlag.objects.get(run=worst).regression_ticket == regression
    assert TicketEvent.objects.filter(ticket=regression, field="regression").count() == 2


def test_dispatcher_enqueues_full_then_fast_when_due(project, django_capture_on_commit_callbacks):
    source = MlflowSourceFactory(project=project)
    with django_capture_on_commit_callbacks(execute=False):
        assert sources_dispatch_due() == 1
    assert SyncRecord.objects.get(source=source).kind == "full"
    SyncRecord.objects.update(status="ok")
    now = timezone.now()
    source.last_full_at = now - timedelta(minutes=10)
    source.last_fast_at = now - timedelta(minutes=6)
    source.save()
    with django_capture_on_commit_callbacks(execute=False):
        assert sources_dispatch_due(now=now) == 1
    assert SyncRecord.objects.filter(source=source, kind="fast").count() == 1
    SyncRecord.objects.update(status="ok")
    source.last_fast_at = now - timedelta(minutes=1)
    source.save()
    assert sources_dispatch_due(now=now) == 0


def test_beat_schedules_the_dispatcher():
    from aihub.celery import app

    entry = app.conf.beat_schedule["experiments-dispatch-due-syncs"]
    assert entry["task"] == "experiments.tasks.dispatch_due_syncs" and entry["schedule"] == 30.0

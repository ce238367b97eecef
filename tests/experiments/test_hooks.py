"""What the experiments app registers into projects.hooks: the finish guard (gates), the
close-out snapshot, board badges, panels and tabs; plus the regression sentinel and the
beat dispatcher."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from experiments.models import ModelVersion, RegressionFlag, Sentinel, SyncRecord
from experiments.services import sentinel_check, sentinel_configure, sources_dispatch_due
from projects import hooks
from projects import services as project_services
from projects.models import Sprint, Ticket, TicketEvent
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    gate,
    link,
)
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def experiment(project):
    return ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")


def _project_tabs(html: str) -> list[tuple[str, bool]]:
    """(label, current) of each tab in the project navigation, in page order."""
    nav = html.split('<nav class="project-nav"', 1)[1].split("</nav>", 1)[0]
    tabs = re.findall(r'<a href="[^"]*"( aria-current="page")?>([^<]+)</a>', nav)
    return [(label, bool(current)) for current, label in tabs]


def test_experiments_pages_join_the_project_pages(client, project, experiment):
    """What ExperimentsConfig.ready() registers, as a member sees it: an Experiments tab after
    Docs and before Members, current on a run's page; the runs-and-gates panel on a ticket page
    and the experiments section on the hub, each fetched from an experiments URL."""
    client.force_login(MembershipFactory(project=project).user)
    run = RunFactory(experiment=experiment)
    ticket = ExperimentTicketFactory(project=project)

    tabs = _project_tabs(client.get(reverse("experiments:run", args=[project.key, run.run_id])).content.decode())
    labels = [label for label, _ in tabs]
    assert labels.index("Docs") < labels.index("Experiments") < labels.index("Members")
    assert [label for label, current in tabs if current] == ["Experiments"]
    ticket_page = client.get(reverse("projects:ticket", args=[project.key, ticket.key])).content.decode()
    assert f'hx-get="{reverse("experiments:ticket_panel", args=[project.key, ticket.key])}"' in ticket_page
    hub = client.get(reverse("projects:hub", args=[project.key])).content.decode()
    assert f'hx-get="{reverse("experiments:hub_section", args=[project.key])}"' in hub


def test_a_failing_gate_refuses_done_before_the_finished_handlers_run(project, experiment):
    """The guard runs before the move, the close-out snapshot after it: a refused move to done
    leaves the ticket where it was and writes no snapshot; once a linked run passes the gate,
    the same move goes through and the snapshot holds that run."""
    member = MembershipFactory(project=project).user
    ticket = ExperimentTicketFactory(project=project)
    gate(ticket, "val_f1", ">=", 0.9)
    link(RunFactory(experiment=experiment, name="weak", metrics={"val_f1": 0.8}), ticket)
    done = project.statuses.get(slug="done")

    with pytest.raises(ValidationError, match=r"val_f1 >= 0\.9 failed"):
        project_services.ticket_move(ticket=Ticket.objects.get(pk=ticket.pk), user=member, status=done)
    ticket.refresh_from_db()
    assert not ticket.status.is_finished and ticket.finished_at is None
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SNAPSHOT).exists()

    strong = RunFactory(experiment=experiment, name="strong", metrics={"val_f1": 0.95})
    link(strong, ticket)
    project_services.ticket_move(ticket=Ticket.objects.get(pk=ticket.pk), user=member, status=done)
    ticket.refresh_from_db()
    assert ticket.status == done and ticket.finished_at is not None
    snapshot = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.SNAPSHOT)
    assert strong.run_id in [run["run_id"] for run in snapshot.data["runs"]]


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
    run = RunFactory(
        experiment=experiment,
        name="final",
        params={"lr": "0.01"},
        metrics={"val_f1": 0.93},
        tags={"mlflow.source.git.commit": "deadbeef"},
        artifact_uri="s3://bucket/1/abc/artifacts",
    )
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
    done, failing, bare = ExperimentTicketFactory.create_batch(3, project=project)
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
    champion = RunFactory(
        experiment=experiment,
        name="champ",
        metrics={"val_f1": 0.93},
        params={"lr": "0.01"},
        start_time=timezone.now() - timedelta(days=3),
    )
    ModelVersion.objects.create(
        source=source, name="detector", version="4", run_id=champion.run_id, aliases=["champion"]
    )
    sentinel_configure(project=project, metric="val_f1", model_name="detector", alias="champion", tolerance=0.02)
    started = timezone.now() - timedelta(seconds=1)
    ticket = ExperimentTicketFactory(project=project, title="Try a smaller backbone")
    close = RunFactory(experiment=experiment, name="close", metrics={"val_f1": 0.92})
    worse = RunFactory(
        experiment=experiment, name="worse", metrics={"val_f1": 0.85}, params={"lr": "0.1"}, start_time=timezone.now()
    )
    link(worse, ticket)
    flags = sentinel_check(source=source, changed_since=started)
    assert [f.run for f in flags] == [worse]
    flag = RegressionFlag.objects.get(run=worse)
    assert flag.champion_run_id == champion.run_id and flag.delta == pytest.approx(-0.08)
    regression = Sentinel.objects.get(project=project).regression_ticket
    assert regression.title == "Regression on val_f1" and regression.type == "bug"
    assert "| param `lr` | 0.01 | 0.1 |" in regression.description
    assert {
        "label": "regression",
        "title": "A linked run fell below the champion",
        "state": "fail",
    } in hooks.badges_for(project_id=project.pk)[ticket.pk]
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


def test_a_beat_tick_queues_the_syncs_that_are_due(project, django_capture_on_commit_callbacks):
    """What beat does on each tick of its schedule: send the entry's task by name (a name no
    worker knows would be dropped), which queues the sync of each source that is due and of no
    other. A sync whose worker died is taken over within a minute: its lease plus one tick."""
    from celery.beat import Scheduler

    from aihub.celery import app
    from experiments.sync.watermark import lease_seconds
    from experiments.tasks import dispatch_due_syncs

    now = timezone.now()
    due = MlflowSourceFactory(project=project)  # never synced: its full reconcile is due
    MlflowSourceFactory(project=project, last_full_at=now, last_fast_at=now)  # synced just now
    scheduler = Scheduler(app=app, lazy=True)
    scheduler.setup_schedule()
    [entry] = [e for e in scheduler.schedule.values() if e.task == dispatch_due_syncs.name]
    assert entry.task in app.tasks  # registered in every process by ExperimentsConfig.ready()

    with django_capture_on_commit_callbacks(execute=False) as sends:
        scheduler.apply_async(entry)  # tasks run in-process in tests, as a worker would run it
    [record] = SyncRecord.objects.all()
    assert record.source == due and record.kind == "full" and record.status == "queued"
    assert len(sends) == 1  # the sync task, sent once the dispatcher's transaction commits
    assert lease_seconds() + entry.schedule.run_every.total_seconds() <= 60

"""Health rules experiments adds (registered into projects.hooks): failing gates on tickets
of the active sprint, targets not met near or past their deadline, the MLflow sync failing
or stale. Each fires and does not fire."""

import datetime

import pytest
from django.utils import timezone

from experiments import health
from experiments.models import SyncRecord
from projects import hooks, services
from projects.health import AT_RISK, OFF_TRACK, HealthSettings
from projects.models import Project, Role
from projects.selectors.health import project_health
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    TargetFactory,
    gate,
    link,
)
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _run(rule, project):
    project = Project.objects.get(pk=project.pk)
    return rule([project], {project.pk: HealthSettings.of(project)}).get(project.pk, [])


def test_the_rules_are_registered():
    assert {health.rule_failing_gates, health.rule_targets_near_deadline, health.rule_sync} <= set(hooks.health_rules)
    assert health.dashboard_targets in hooks.dashboard_target_providers


def _sprint_ticket_with_gate(project, value, *, in_sprint=True):
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    today = timezone.localdate()
    sprint = services.sprint_create(
        project=project, name="S", start_date=today, end_date=today + datetime.timedelta(days=7)
    )
    ticket = ExperimentTicketFactory(project=project, sprint=sprint if in_sprint else None)
    services.sprint_start(sprint=sprint, user=admin)
    gate(ticket, metric="val_f1", op=">=", threshold=0.9)
    source = MlflowSourceFactory(project=project)
    link(RunFactory(experiment=ExperimentFactory(source=source), metrics={"val_f1": value}), ticket)
    return ticket


def test_a_failing_gate_in_the_active_sprint_fires():
    project = ProjectFactory()
    ticket = _sprint_ticket_with_gate(project, 0.8)
    (reason,) = _run(health.rule_failing_gates, project)
    assert reason.code == "failing_gates" and reason.severity == AT_RISK
    assert reason.message == f"Metric gates failing on 1 ticket of the active sprint: {ticket.key} (val_f1 >= 0.9)."


def test_a_passing_gate_or_one_outside_the_sprint_does_not_fire():
    assert _run(health.rule_failing_gates, ProjectFactory()) == []
    project = ProjectFactory()
    _sprint_ticket_with_gate(project, 0.95)
    assert _run(health.rule_failing_gates, project) == []
    other = ProjectFactory()
    _sprint_ticket_with_gate(other, 0.5, in_sprint=False)
    assert _run(health.rule_failing_gates, other) == []


def _target(project, best, *, deadline_in, direction="higher", target=0.9):
    source = MlflowSourceFactory(project=project)
    if best is not None:
        RunFactory(experiment=ExperimentFactory(source=source), metrics={"val_f1": best})
    return TargetFactory(
        project=project,
        metric="val_f1",
        direction=direction,
        target=target,
        deadline=timezone.localdate() + datetime.timedelta(days=deadline_in),
    )


def test_a_target_not_met_with_the_deadline_near_is_at_risk_and_past_it_off_track():
    project = ProjectFactory()
    target = _target(project, 0.8, deadline_in=5)
    (reason,) = _run(health.rule_targets_near_deadline, project)
    assert reason.code == "target_deadline" and reason.severity == AT_RISK
    assert "Target val_f1 >= 0.9 is not met with its deadline in 5 days" in reason.message
    assert "best so far 0.8" in reason.message
    target.deadline = timezone.localdate() - datetime.timedelta(days=1)
    target.save()
    (reason,) = _run(health.rule_targets_near_deadline, project)
    assert reason.severity == OFF_TRACK and "has passed" in reason.message


def test_a_target_met_far_from_its_deadline_or_without_one_does_not_fire():
    project = ProjectFactory()
    _target(project, 0.95, deadline_in=2)  # met
    assert _run(health.rule_targets_near_deadline, project) == []
    far = ProjectFactory()
    _target(far, 0.5, deadline_in=30)  # not met, but the deadline is 30 days away (> 14)
    assert _run(health.rule_targets_near_deadline, far) == []
    Project.objects.filter(pk=far.pk).update(health_target_days=30)
    assert len(_run(health.rule_targets_near_deadline, far)) == 1
    lower = ProjectFactory()
    _target(lower, 0.15, deadline_in=1, direction="lower", target=0.2)  # lower is better: met
    assert _run(health.rule_targets_near_deadline, lower) == []


def test_a_failing_sync_fires():
    project = ProjectFactory()
    source = MlflowSourceFactory(project=project, name="team server")
    SyncRecord.objects.create(source=source, kind="fast", status="ok", finished_at=timezone.now())
    assert _run(health.rule_sync, project) == []
    SyncRecord.objects.create(
        source=source, kind="fast", status="error", finished_at=timezone.now(), error="Connection refused\nat ..."
    )
    (reason,) = _run(health.rule_sync, project)
    assert reason.code == "sync_failing"
    assert reason.message == "The MLflow sync of team server is failing: Connection refused."


def test_a_stale_sync_fires_and_a_fresh_or_disabled_one_does_not():
    project = ProjectFactory()
    source = MlflowSourceFactory(project=project, name="team server")
    record = SyncRecord.objects.create(source=source, kind="fast", status="ok")
    SyncRecord.objects.filter(pk=record.pk).update(finished_at=timezone.now() - datetime.timedelta(hours=30))
    (reason,) = _run(health.rule_sync, project)
    assert reason.code == "sync_stale" and "more than 24 hours ago" in reason.message
    Project.objects.filter(pk=project.pk).update(health_sync_stale_hours=48)
    assert _run(health.rule_sync, project) == []
    Project.objects.filter(pk=project.pk).update(health_sync_stale_hours=24)
    source.enabled = False
    source.save()
    assert _run(health.rule_sync, project) == []


def test_project_health_includes_the_experiments_reasons():
    project = ProjectFactory()
    _target(project, 0.5, deadline_in=-2)
    assert [r.code for r in project_health(project).reasons] == ["target_deadline"]
    assert project_health(project).status == OFF_TRACK

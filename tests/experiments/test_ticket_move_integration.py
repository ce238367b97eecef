"""End to end with the board's ticket_move: gates block finishing, an admin override is
recorded, finishing writes the evidence snapshot, and the sentinel reopens its ticket."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from experiments.models import ModelVersion, Sentinel
from experiments.services import sentinel_check, sentinel_configure
from projects import services as project_services
from projects.models import TicketEvent
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


def test_gates_block_done_admin_override_is_recorded_and_snapshot_written(project, experiment):
    member = MembershipFactory(project=project, role="member").user
    admin = MembershipFactory(project=project, role="admin").user
    ticket = ExperimentTicketFactory(project=project)
    gate(ticket, "val_f1", ">=", 0.9)
    link(RunFactory(experiment=experiment, name="weak", metrics={"val_f1": 0.8}), ticket)
    done = project.statuses.get(slug="done")
    with pytest.raises(ValidationError) as refused:
        project_services.ticket_move(ticket=ticket, user=member, status=done)
    assert "Metric gate val_f1 >= 0.9 failed (best 0.8 in weak)." in str(refused.value)
    with pytest.raises(ValidationError):
        project_services.ticket_move(ticket=ticket, user=member, status=done, override_reason="ship it")
    moved = project_services.ticket_move(
        ticket=ticket, user=admin, status=done, override_reason="Good enough for the pilot"
    )
    assert moved.status == done
    override = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.GATE_OVERRIDE)
    assert override.data["reason"] == "Good enough for the pilot"
    snapshot = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.SNAPSHOT)
    assert snapshot.data["runs"][0]["metrics"] == {"val_f1": 0.8}


def test_passing_gates_let_a_member_finish(project, experiment):
    member = MembershipFactory(project=project, role="member").user
    ticket = ExperimentTicketFactory(project=project)
    gate(ticket, "val_f1", ">=", 0.9)
    link(RunFactory(experiment=experiment, metrics={"val_f1": 0.95}), ticket)
    moved = project_services.ticket_move(ticket=ticket, user=member, status=project.statuses.get(slug="done"))
    assert moved.status.is_finished


def test_sentinel_reopens_its_finished_regression_ticket(project, experiment):
    champion = RunFactory(
        experiment=experiment, metrics={"val_f1": 0.93}, start_time=timezone.now() - timedelta(days=2)
    )
    ModelVersion.objects.create(
        source=experiment.source, name="detector", version="1", run_id=champion.run_id, aliases=["champion"]
    )
    sentinel_configure(project=project, metric="val_f1", model_name="detector", tolerance=0.01)
    since = timezone.now() - timedelta(seconds=1)
    RunFactory(experiment=experiment, metrics={"val_f1": 0.8}, start_time=timezone.now())
    sentinel_check(source=experiment.source, changed_since=since)
    regression = Sentinel.objects.get(project=project).regression_ticket
    project_services.ticket_move(ticket=regression, user=None, status=project.statuses.get(slug="done"))
    RunFactory(experiment=experiment, metrics={"val_f1": 0.7}, start_time=timezone.now())
    sentinel_check(source=experiment.source, changed_since=since)
    regression.refresh_from_db()
    assert not regression.status.is_finished
    assert Sentinel.objects.get(project=project).regression_ticket == regression

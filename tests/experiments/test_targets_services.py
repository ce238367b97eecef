"""Target services: create, update, delete with their rules, and a metric gate made from a
target through the gate service."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from experiments import selectors, services
from experiments.models import MetricGate, Target
from projects.models import TicketEvent, TicketType
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentTicketFactory, RunFactory, TargetFactory, link
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def user():
    return UserFactory()


def test_create_strips_the_metric_and_keeps_every_field(project, user):
    deadline = datetime.date(2027, 3, 1)
    target = services.target_create(
        project=project,
        user=user,
        metric="  val_loss ",
        direction="lower",
        target=0.2,
        baseline=0.6,
        deadline=deadline,
        primary=True,
    )
    target.refresh_from_db()
    assert (target.metric, target.direction, target.target, target.baseline, target.deadline, target.primary) == (
        "val_loss",
        "lower",
        0.2,
        0.6,
        deadline,
        True,
    )
    assert target.created_by == user and str(target) == "val_loss <= 0.2"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"metric": "", "target": 0.9}, "metric"),
        ({"metric": "val_f1", "target": float("nan")}, "target"),
        ({"metric": "val_f1", "target": float("inf")}, "target"),
        ({"metric": "val_f1", "target": None}, "target"),
        ({"metric": "val_f1", "target": 0.9, "baseline": float("-inf")}, "baseline"),
        ({"metric": "val_f1", "target": 0.9, "direction": "sideways"}, "direction"),
        ({"metric": "x" * 251, "target": 0.9}, "metric"),
    ],
)
def test_create_refuses_what_is_not_a_target(project, user, fields, field):
    with pytest.raises(ValidationError) as refused:
        services.target_create(project=project, user=user, **fields)
    assert field in refused.value.message_dict
    assert not Target.objects.exists()


def test_one_target_per_metric(project, user):
    services.target_create(project=project, user=user, metric="val_f1", target=0.9)
    with pytest.raises(ValidationError) as refused:
        services.target_create(project=project, user=user, metric="val_f1", target=0.95)
    assert refused.value.message_dict == {"metric": ["This project already has a target on val_f1."]}
    # Another project may target the same metric.
    services.target_create(project=ProjectFactory(), user=user, metric="val_f1", target=0.95)


def test_a_new_primary_takes_over_from_the_old_one(project, user):
    first = services.target_create(project=project, user=user, metric="val_f1", target=0.9, primary=True)
    second = services.target_create(project=project, user=user, metric="val_loss", target=0.1, primary=True)
    first.refresh_from_db()
    assert not first.primary and second.primary
    services.target_update(target=first, user=user, changes={"primary": True})
    second.refresh_from_db()
    assert list(Target.objects.filter(primary=True)) == [first] and not second.primary
    other = TargetFactory(primary=True)  # another project's primary stays
    other.refresh_from_db()
    assert other.primary


def test_update_changes_the_given_fields_only(project, user):
    target = services.target_create(project=project, user=user, metric="val_f1", target=0.9, baseline=0.5)
    services.target_update(target=target, user=user, changes={"target": 0.93, "direction": "higher"})
    target.refresh_from_db()
    assert (target.target, target.baseline) == (0.93, 0.5)
    with pytest.raises(ValidationError) as refused:
        services.target_update(target=target, user=user, changes={"project": ProjectFactory()})
    assert "project" in refused.value.message_dict
    TargetFactory(project=project, metric="val_loss")
    with pytest.raises(ValidationError):
        services.target_update(target=target, user=user, changes={"metric": "val_loss"})
    target.refresh_from_db()
    assert target.metric == "val_f1"


def test_delete(project, user):
    target = TargetFactory(project=project)
    services.target_delete(target=target, user=user)
    assert not Target.objects.exists()


def test_gate_from_a_target_guards_the_ticket_with_its_metric_direction_and_value(project, user):
    loss = TargetFactory(project=project, metric="val_loss", direction="lower", target=0.2)
    f1 = TargetFactory(project=project, metric="val_f1", direction="higher", target=0.9)
    epic = ExperimentTicketFactory(project=project, type=TicketType.EPIC, title="Detector v2")
    ticket = ExperimentTicketFactory(project=project)

    lower = services.target_gate_create(target=loss, ticket=ticket, user=user)
    higher = services.target_gate_create(target=f1, ticket=epic, user=user)

    assert (lower.ticket, lower.metric, lower.op, lower.threshold) == (ticket, "val_loss", "<=", 0.2)
    assert (higher.ticket, higher.metric, higher.op, higher.threshold) == (epic, "val_f1", ">=", 0.9)
    # The gate service wrote the ticket's history line, and the gate judges linked runs as any gate.
    assert TicketEvent.objects.filter(ticket=ticket, field="gates", new_value="val_loss <= 0.2").exists()
    link(RunFactory(project=project, experiment__source__project=project, metrics={"val_loss": 0.15}), ticket)
    [status] = selectors.gate_statuses_for_tickets([ticket.pk])[ticket.pk]
    assert status["status"] == "pass"
    # The same gate twice is refused by the gate service.
    with pytest.raises(ValidationError):
        services.target_gate_create(target=loss, ticket=ticket, user=user)
    assert MetricGate.objects.count() == 2


def test_gate_from_a_target_only_on_a_ticket_of_its_project(project, user):
    target = TargetFactory(project=project)
    with pytest.raises(ValidationError) as refused:
        services.target_gate_create(target=target, ticket=ExperimentTicketFactory(), user=user)
    assert "ticket" in refused.value.message_dict and not MetricGate.objects.exists()

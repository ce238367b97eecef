"""Factories for experiments rows that do not need an MLflow server."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from experiments.models import Experiment, MetricGate, MlflowSource, Run, RunLink, Target
from projects.models import TicketType
from tests.projects.factories import ProjectFactory, TicketFactory


class MlflowSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MlflowSource

    project = factory.SubFactory(ProjectFactory)
    tracking_uri = "http://127.0.0.1:5999"
    experiment_names = factory.LazyFunction(lambda: ["demo"])


class ExperimentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Experiment

    source = factory.SubFactory(MlflowSourceFactory)
    experiment_id = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"experiment-{n}")


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    experiment = factory.SubFactory(ExperimentFactory)
    source = factory.LazyAttribute(lambda o: o.experiment.source)
    project = factory.LazyAttribute(lambda o: o.experiment.source.project)
    run_id = factory.LazyFunction(lambda: uuid.uuid4().hex)
    name = factory.Sequence(lambda n: f"run-{n}")
    status = "FINISHED"
    start_time = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    end_time = factory.LazyAttribute(lambda o: o.start_time + timedelta(minutes=30))
    params = factory.LazyFunction(lambda: {"lr": "0.01"})
    metrics = factory.LazyFunction(lambda: {"val_f1": 0.9})
    fingerprint = "x"


class TargetFactory(factory.django.DjangoModelFactory):
    """A target row as the service would write it: `TargetFactory(project=p, metric="val_loss",
    direction="lower", target=0.2)`."""

    class Meta:
        model = Target

    project = factory.SubFactory(ProjectFactory)
    metric = "val_f1"
    direction = Target.Direction.HIGHER
    target = 0.9


class ExperimentTicketFactory(TicketFactory):
    """An experiment ticket (the kind runs link to and gates guard), reported by nobody."""

    reporter = None
    title = "Train a model"
    type = TicketType.EXPERIMENT


def link(run, ticket, origin=RunLink.Origin.MANUAL) -> RunLink:
    return RunLink.objects.create(run=run, ticket=ticket, origin=origin)


def gate(ticket, metric="val_f1", op=">=", threshold=0.9) -> MetricGate:
    return MetricGate.objects.create(ticket=ticket, metric=metric, op=op, threshold=threshold)

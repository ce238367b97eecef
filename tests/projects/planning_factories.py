"""Factories for planning: tickets, sprints, labels, custom fields."""
import datetime

import factory

from projects import services
from projects.models import CustomField, Label, Sprint
from tests.factories import ProjectFactory, UserFactory


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"label{n}")


class SprintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sprint

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Sprint {n}")
    start_date = factory.LazyFunction(datetime.date.today)
    end_date = factory.LazyAttribute(lambda s: s.start_date + datetime.timedelta(days=13))


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    project = factory.SubFactory(ProjectFactory)
    key = factory.Sequence(lambda n: f"field{n}")
    name = factory.Sequence(lambda n: f"Field {n}")
    field_type = "text"


def make_ticket(project, title="A ticket", reporter=None, **fields):
    """A ticket created through the real service (numbered, ranked, with history)."""
    return services.ticket_create(project=project, reporter=reporter or UserFactory(), title=title, **fields)

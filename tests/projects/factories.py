"""Factories for projects: projects and members, tickets, sprints, labels, custom fields, risks."""

import datetime

import factory

from projects import services
from projects.models import (
    DEFAULT_WORKFLOW,
    CustomField,
    Label,
    Membership,
    Project,
    Risk,
    Role,
    Sprint,
    Ticket,
    WorkflowStatus,
)
from projects.ranking import RANK_GAP
from tests.accounts.factories import UserFactory


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"P{n}X")
    name = factory.Sequence(lambda n: f"Project {n}")
    description = "A *test* project."

    @factory.post_generation
    def workflow(project, create, extracted, **kwargs):
        if create and not project.statuses.exists():
            WorkflowStatus.objects.bulk_create(
                WorkflowStatus(project=project, slug=slug, name=name, position=i, is_finished=done)
                for i, (slug, name, done) in enumerate(DEFAULT_WORKFLOW)
            )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


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


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket made as users make them: `TicketFactory(project=cv, title="Train", sprint=s)`.

    Created through projects.services.ticket_create, the only correct way: it takes the next
    KEY-N under a lock on the project row, ranks the card at the end of its column, renders
    the Markdown and records the creation. Any field the service takes may be given, as an
    object or as a client writes it (status slug, label names, parent key). Pass
    `reporter=None` for a ticket nobody reported (an import)."""

    class Meta:
        model = Ticket

    project = factory.SubFactory(ProjectFactory)
    reporter = factory.SubFactory(UserFactory)
    title = "A ticket"

    @classmethod
    def _create(cls, model_class, *, project, reporter, title, **fields):
        return services.ticket_create(project=project, reporter=reporter, title=title, **fields)


class RiskFactory(factory.django.DjangoModelFactory):
    """A risk made through projects.services.risk_create (rules checked, Markdown rendered):
    `RiskFactory(project=cv, likelihood=4, impact=5, tickets=["CV-1"])`."""

    class Meta:
        model = Risk

    project = factory.SubFactory(ProjectFactory)
    user = None
    title = factory.Sequence(lambda n: f"Risk {n}")
    likelihood = 3
    impact = 3

    @classmethod
    def _create(cls, model_class, *, project, user, title, likelihood, impact, **fields):
        return services.risk_create(
            project=project, user=user, title=title, likelihood=likelihood, impact=impact, **fields
        )


def seed_board(project, user, sprint, labels, count):
    """Bulk-insert `count` tickets spread over the columns, for query budgets at 1,000 cards.

    Faster than TicketFactory and numbered as the service numbers them: KEY-N after the
    project's counter, which moves past them, ranked in that order."""
    statuses = list(project.statuses.order_by("position"))
    start = project.ticket_counter
    tickets = Ticket.objects.bulk_create(
        Ticket(
            project=project,
            number=start + i + 1,
            key=f"{project.key}-{start + i + 1}",
            title=f"Seeded {i}",
            status=statuses[i % len(statuses)],
            sprint=sprint,
            assignee=user if i % 2 else None,
            estimate=i % 8,
            rank=(start + i + 1) * RANK_GAP,
        )
        for i in range(count)
    )
    type(project).objects.filter(pk=project.pk).update(ticket_counter=start + count)
    Ticket.labels.through.objects.bulk_create(
        Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % len(labels)].pk) for i, t in enumerate(tickets)
    )
    return tickets


def seed_risks(project, count, *, owner=None, tickets=()):
    """Bulk-insert `count` risks spread over the 5 x 5 grid and the four statuses, each
    linked to up to two of `tickets`, for query budgets at hundreds of risks."""
    statuses = ["open", "mitigating", "closed", "accepted"]
    risks = Risk.objects.bulk_create(
        Risk(
            project=project,
            title=f"Seeded risk {i}",
            likelihood=1 + i % 5,
            impact=1 + (i // 5) % 5,
            status=statuses[i % 4],
            owner=owner,
            review_date=datetime.date(2030, 1, 1) - datetime.timedelta(days=i),
        )
        for i in range(count)
    )
    tickets = list(tickets)
    if tickets:
        Risk.tickets.through.objects.bulk_create(
            Risk.tickets.through(risk_id=risk.pk, ticket_id=tickets[(i + j) % len(tickets)].pk)
            for i, risk in enumerate(risks)
            for j in range(min(2, len(tickets)))
        )
    return risks


def settings_form_data(project, **changes) -> dict:
    """What the settings page posts: every field as the form shows it, then `changes`."""
    from projects.forms import ProjectSettingsForm

    form = ProjectSettingsForm(instance=project)
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    data.update(changes)
    # An unticked checkbox is absent from a browser's post.
    return {name: value for name, value in data.items() if value is not False}

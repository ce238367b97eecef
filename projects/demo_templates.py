"""Demo: a third project, FRAUD, created from the built-in "ML model project" template as a
user would (one call, one transaction), so the portfolio has several rows and the template's
workflow, epics, starter tickets, docs, primary target and exit criteria can be looked at.
A first sprint runs on the Data epic's tickets; two milestones are on its roadmap. Left
alone once FRAUD exists."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import services
from .models import Project, Role, Ticket
from .templates_builtin import ML_MODEL_ID

User = get_user_model()

FRAUD = {
    "key": "FRAUD",
    "name": "Card fraud scoring",
    "phase": "data",
    "description": "Score card payments for fraud before they are authorised, so the review team sees the risky "
    "ones first. Made from the ML model project template.",
    "objectives": "- F1 of 0.90 on the validation month (the template's primary target)",
}


@transaction.atomic
def seed_template_demo(demo_user) -> None:
    if Project.objects.filter(key=FRAUD["key"]).exists():
        return
    project = services.project_create(creator=demo_user, template=ML_MODEL_ID, **FRAUD)
    for username, role in (("dana", Role.MEMBER), ("sam", Role.VIEWER)):
        user = User.objects.filter(username=username).first()
        if user is not None:
            services.membership_add(project=project, user=user, role=role, added_by=demo_user)
    today = timezone.localdate()
    sprint = services.sprint_create(
        project=project,
        name="Sprint 1 · Data",
        goal="Data requirements written and the first audit done.",
        start_date=today - datetime.timedelta(days=3),
        end_date=today + datetime.timedelta(days=10),
        capacity=12,
    )
    data_epic = Ticket.objects.filter(project=project, type="epic", title__startswith="Data:").first()
    starters = list(Ticket.objects.filter(project=project, parent=data_epic).order_by("number"))
    define = list(Ticket.objects.filter(project=project, parent__title__startswith="Define:").order_by("number"))
    services.sprint_add_tickets(sprint=sprint, tickets=starters, user=demo_user, project=project)
    services.sprint_start(sprint=sprint, user=demo_user)
    for ticket in define:  # the Define phase is behind the team
        services.ticket_update(ticket=ticket, user=demo_user, status="done")
    for ticket, status in zip(starters, ("done", "in_progress"), strict=False):
        services.ticket_update(ticket=ticket, user=demo_user, status=status)
    develop_epic = Ticket.objects.filter(project=project, type="epic", title__startswith="Develop:").first()
    for name, days, epic in (("Data audit signed off", 12, data_epic), ("Baseline reviewed", 40, develop_epic)):
        services.milestone_create(
            project=project,
            user=demo_user,
            name=name,
            due_date=today + datetime.timedelta(days=days),
            epics=[epic] if epic else [],
        )

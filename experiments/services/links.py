"""Linking runs to tickets by hand (the `aihub.ticket` tag links them on sync)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from projects import live
from projects.models import Ticket, TicketEvent
from projects.services import ticket_event_record

from ..models import Run, RunLink
from .gates import gates_recheck


@transaction.atomic
def run_link(*, run: Run, ticket: Ticket, user) -> RunLink:
    if run.project_id != ticket.project_id:
        raise ValidationError({"run_id": ["This run belongs to another project."]})
    link, created = RunLink.objects.get_or_create(
        run=run, ticket=ticket, defaults={"origin": RunLink.Origin.MANUAL, "created_by": user}
    )
    if not created and link.active:
        return link
    if not created:
        link.active = True
        link.origin = RunLink.Origin.MANUAL
        link.created_by = user
        link.full_clean()
        link.save(update_fields=["active", "origin", "created_by"])
    ticket_event_record(
        ticket=ticket,
        actor=user,
        kind=TicketEvent.Kind.NOTE,
        field="runs",
        new_value=run.run_id,
        data={"action": "run_linked", "run_id": run.run_id, "name": run.name},
    )
    live.announce(project_id=ticket.project_id, kind="ticket.runs", ticket_key=ticket.key)
    gates_recheck(ticket_ids=[ticket.pk])
    return link


@transaction.atomic
def run_unlink(*, run: Run, ticket: Ticket, user) -> None:
    """Unlink; the link stays as an inactive tombstone so the run's tag does not bring it back."""
    updated = RunLink.objects.filter(run=run, ticket=ticket, active=True).update(active=False)
    if not updated:
        raise ValidationError({"run_id": ["This run is not linked to the ticket."]})
    ticket_event_record(
        ticket=ticket,
        actor=user,
        kind=TicketEvent.Kind.NOTE,
        field="runs",
        old_value=run.run_id,
        data={"action": "run_unlinked", "run_id": run.run_id, "name": run.name},
    )
    live.announce(project_id=ticket.project_id, kind="ticket.runs", ticket_key=ticket.key)
    gates_recheck(ticket_ids=[ticket.pk])

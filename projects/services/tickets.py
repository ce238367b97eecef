"""Writes for tickets: creation with a race-free key, and the history every change leaves."""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from aihub.markdown import render_markdown

from .. import live
from ..models import Project, Ticket, TicketEvent, WorkflowStatus
from ..ranking import rank_at_end

User = get_user_model()


def ticket_event_record(*, ticket: Ticket, actor: User | None, kind: str, field: str = "",
                        old_value="", new_value="", data: dict | None = None) -> TicketEvent:
    """Append one line to a ticket's history. Other apps use this too (gate overrides,
    evidence snapshots), so the history stays the one place to read what happened."""
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, field=field,
        old_value="" if old_value is None else str(old_value),
        new_value="" if new_value is None else str(new_value), data=data or {},
    )


@transaction.atomic
def ticket_create(*, project: Project, reporter: User | None, title: str, status: WorkflowStatus | None = None,
                  **fields) -> Ticket:
    """Create a ticket numbered KEY-N. The project row is locked while the number is taken,
    so two creators at the same moment never get the same key."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if status is None:
        status = locked.statuses.order_by("position", "id").first()
    elif status.project_id != project.pk:
        raise ValidationError({"status": ["This status belongs to another project."]})
    labels = fields.pop("labels", None)
    locked.ticket_counter += 1
    Project.objects.filter(pk=locked.pk).update(ticket_counter=locked.ticket_counter)
    ticket = Ticket(project=locked, number=locked.ticket_counter, key=f"{locked.key}-{locked.ticket_counter}",
                    title=(title or "").strip(), status=status, reporter=reporter, rank=rank_at_end(locked), **fields)
    ticket.description_html = render_markdown(ticket.description)
    ticket.full_clean()
    ticket.save()
    if labels:
        ticket.labels.set(labels)
    ticket_event_record(ticket=ticket, actor=reporter, kind=TicketEvent.Kind.CREATED, new_value=ticket.title)
    live.announce(project_id=project.pk, kind="ticket.created", ticket_key=ticket.key)
    return ticket

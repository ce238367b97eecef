"""Links between tickets: blocks / is blocked by, relates to."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from .. import live
from ..events import ticket_event_record
from ..models import RelationKind, Ticket, TicketEvent, TicketRelation

User = get_user_model()

# What a person picks on the ticket page; "is_blocked_by" is stored as the other ticket blocking this one.
RELATION_CHOICES = (
    ("blocks", "blocks"),
    ("is_blocked_by", "is blocked by"),
    ("relates_to", "relates to"),
)


@transaction.atomic
def relation_add(*, ticket: Ticket, other: Ticket, kind: str, user: User | None) -> TicketRelation:
    if kind not in dict(RELATION_CHOICES):
        raise ValidationError({"kind": [f"Choose one of: {', '.join(dict(RELATION_CHOICES))}."]})
    if other.project_id != ticket.project_id:
        raise ValidationError({"other": ["Link tickets of the same project."]})
    if other.pk == ticket.pk:
        raise ValidationError({"other": ["A ticket cannot be linked to itself."]})
    source, target, stored_kind = ticket, other, kind
    if kind == "is_blocked_by":
        source, target, stored_kind = other, ticket, RelationKind.BLOCKS
    same_way = Q(source=source, target=target)
    if stored_kind == RelationKind.RELATES_TO:  # symmetric: either direction is the same link
        same_way |= Q(source=target, target=source)
    exists = TicketRelation.objects.filter(same_way, kind=stored_kind)
    if exists.exists():
        raise ValidationError({"other": [f"{ticket.key} and {other.key} are already linked that way."]})
    if (
        stored_kind == RelationKind.BLOCKS
        and TicketRelation.objects.filter(source=target, target=source, kind=RelationKind.BLOCKS).exists()
    ):
        raise ValidationError({"other": ["Two tickets cannot block each other."]})
    relation = TicketRelation(source=source, target=target, kind=stored_kind, created_by=user)
    relation.full_clean()
    relation.save()
    label = dict(RELATION_CHOICES)[kind]
    ticket_event_record(
        ticket=ticket, actor=user, kind=TicketEvent.Kind.CHANGED, field="relations", new_value=f"{label} {other.key}"
    )
    live.announce(project_id=ticket.project_id, kind="ticket.updated", ticket_key=ticket.key)
    live.announce(project_id=ticket.project_id, kind="ticket.updated", ticket_key=other.key)
    return relation


@transaction.atomic
def relation_remove(*, relation: TicketRelation, ticket: Ticket, user: User | None) -> None:
    other = relation.target if relation.source_id == ticket.pk else relation.source
    ticket_event_record(
        ticket=ticket,
        actor=user,
        kind=TicketEvent.Kind.CHANGED,
        field="relations",
        old_value=f"{relation.get_kind_display()} {other.key}",
    )
    relation.delete()
    live.announce(project_id=ticket.project_id, kind="ticket.updated", ticket_key=ticket.key)

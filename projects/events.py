"""What happens to a ticket leaves a trace: a line in its history (TicketEvent) and the
in-app notifications it sends (assigned, @mentioned). Services call these inside their
transaction, beside `live.announce` (which tells open pages once the write commits).
Other apps record history lines here too (gate overrides, evidence snapshots, run
links), so the history stays the one place to read what happened."""

import datetime

from django.contrib.auth import get_user_model

from .models import Comment, Notification, Sprint, Ticket, TicketEvent, WorkflowStatus

User = get_user_model()


def ticket_event_record(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    field: str = "",
    old_value="",
    new_value="",
    data: dict | None = None,
) -> TicketEvent:
    """Append one line to a ticket's history."""
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=kind,
        field=field,
        old_value="" if old_value is None else str(old_value),
        new_value="" if new_value is None else str(new_value),
        data=data or {},
    )


def history_value(value) -> str:
    """A field's value as a history line shows it (a username, a slug, a key, a date)."""
    if value is None or value == "":
        return ""
    if isinstance(value, User):
        return value.username
    if isinstance(value, (Sprint, WorkflowStatus)):
        return getattr(value, "slug", None) or value.name
    if isinstance(value, Ticket):
        return value.key
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def assignment_notify(ticket: Ticket, actor: User | None) -> None:
    """Tell the assignee (unless they assigned themselves)."""
    if ticket.assignee_id and (actor is None or ticket.assignee_id != actor.pk):
        Notification.objects.create(
            recipient_id=ticket.assignee_id,
            actor=actor,
            kind=Notification.Kind.ASSIGNED,
            ticket=ticket,
            excerpt=ticket.title[:200],
        )


def mentions_notify(*, comment: Comment, author: User, recipients: list[User]) -> None:
    """Tell each member @mentioned in a comment."""
    excerpt = comment.body.replace("\n", " ")[:200]
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            actor=author,
            kind=Notification.Kind.MENTION,
            ticket=comment.ticket,
            comment=comment,
            excerpt=excerpt,
        )
        for user in recipients
    )

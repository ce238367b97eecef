"""Comments on tickets, @mentions and the in-app notifications they send."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aihub.limits import text_lengths_check

from .. import live
from ..events import mentions_notify, ticket_event_record
from ..models import Comment, Membership, Notification, Ticket, TicketEvent
from ..ticket_links import mentions_in, render_ticket_markdown

User = get_user_model()


def _mentioned_members(ticket: Ticket, text: str, *, exclude: User | None) -> list[User]:
    usernames = mentions_in(text)
    if not usernames:
        return []
    members = User.objects.filter(username__in=usernames, memberships__project_id=ticket.project_id).distinct()
    return [user for user in members if exclude is None or user.pk != exclude.pk]


@transaction.atomic
def comment_create(*, ticket: Ticket, author: User, body: str) -> Comment:
    """Add a comment (Markdown, sanitized when saved). Each project member @mentioned in it
    gets an in-app notification; people outside the project are not told anything."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something first."]})
    text_lengths_check("projects.Comment", body=body)
    comment = Comment(
        ticket=ticket, author=author, body=body, body_html=render_ticket_markdown(body, project=ticket.project)
    )
    comment.full_clean()
    comment.save()
    mentions_notify(comment=comment, author=author, recipients=_mentioned_members(ticket, body, exclude=author))
    ticket_event_record(ticket=ticket, actor=author, kind=TicketEvent.Kind.COMMENTED, data={"comment_id": comment.pk})
    live.announce(project_id=ticket.project_id, kind="comment.created", ticket_key=ticket.key)
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, user: User, body: str) -> Comment:
    if comment.author_id != user.pk:
        raise ValidationError({"body": ["Only the author can edit a comment."]})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something first."]})
    text_lengths_check("projects.Comment", body=body)
    comment.body, comment.body_html = body, render_ticket_markdown(body, project=comment.ticket.project)
    comment.full_clean()
    comment.save()
    live.announce(project_id=comment.ticket.project_id, kind="comment.updated", ticket_key=comment.ticket.key)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, user: User) -> None:
    ticket = comment.ticket
    is_admin = Membership.objects.filter(project_id=ticket.project_id, user=user, role="admin").exists()
    if comment.author_id != user.pk and not is_admin:
        raise ValidationError({"comment": ["Only the author or a project admin can delete a comment."]})
    comment.delete()
    live.announce(project_id=ticket.project_id, kind="comment.deleted", ticket_key=ticket.key)


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark some (or all) of a user's unread notifications read; returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())

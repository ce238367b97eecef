"""Serializers of the board API: the board as cards, a move, a rank, and where a ticket is now."""

from rest_framework import serializers

from ... import live
from ...models import Ticket


class BoardLabelSerializer(serializers.Serializer):
    name = serializers.CharField()
    color = serializers.CharField()


class BoardBadgeSerializer(serializers.Serializer):
    label = serializers.CharField()
    title = serializers.CharField(required=False)
    state = serializers.CharField(required=False)


class BoardTicketSerializer(serializers.Serializer):
    """A ticket as a card shows it (documentation of the shape; built from selector rows)."""

    key = serializers.CharField()
    title = serializers.CharField()
    type = serializers.CharField()
    priority = serializers.CharField()
    assignee = serializers.CharField(allow_null=True)
    assignee_initials = serializers.CharField()
    estimate = serializers.IntegerField(allow_null=True)
    labels = serializers.ListField(child=serializers.CharField())
    badges = BoardBadgeSerializer(many=True)
    version = serializers.IntegerField()
    fields = serializers.DictField(
        child=serializers.CharField(), help_text="Custom fields the project shows on cards, as displayed."
    )


class BoardColumnSerializer(serializers.Serializer):
    status = serializers.CharField()
    name = serializers.CharField()
    wip_limit = serializers.IntegerField(allow_null=True)
    is_finished = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Tickets in the column on this board, whatever the filters.")
    over_limit = serializers.BooleanField()
    tickets = BoardTicketSerializer(many=True)


class BoardSerializer(serializers.Serializer):
    sprint = serializers.IntegerField(allow_null=True)
    columns = BoardColumnSerializer(many=True)


class TicketMoveSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="A status slug of the project's workflow.")
    after = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="A ticket key in that column; null puts the card at the top.",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version the move is based on; a stale one answers 409."
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Admins only: move into a finished status despite its checks.",
    )


class TicketRankSerializer(serializers.Serializer):
    after = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="A ticket key: the ticket goes right after it in the project order.",
    )
    before = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Without `after`: the ticket goes right before this one. Neither: the top of the order.",
    )


class TicketPlaceSerializer(serializers.Serializer):
    """Where a moved or ranked ticket is now: what the board and the backlog need."""

    key = serializers.CharField()
    status = serializers.CharField(help_text="The status slug.")
    rank = serializers.IntegerField()
    version = serializers.IntegerField()
    revision = serializers.IntegerField(
        allow_null=True, help_text="The project's live revision after the change; null while live updates are paused."
    )


def ticket_place_json(ticket: Ticket) -> dict:
    return {
        "key": ticket.key,
        "status": ticket.status.slug,
        "rank": ticket.rank,
        "version": ticket.version,
        # The revision the move produced once it committed (services.board.announce_move),
        # else the project's current one.
        "revision": (
            ticket.live_revision if hasattr(ticket, "live_revision") else live.project_revision(ticket.project_id)
        ),
    }

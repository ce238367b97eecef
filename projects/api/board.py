"""The board over REST: the columns with their cards, and moving a card.

`GET /api/v1/projects/{key}/board/?sprint={id|active}` reads through the board selector
(values() rows, a constant number of queries); `POST /api/v1/tickets/{ticket_key}/move/`
calls `services.ticket_move`, the same write the board page uses."""
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from aihub.api import Conflict
from aihub.exceptions import StaleVersion
from aihub.renderers import ORJSONRenderer

from .. import selectors, services
from ..models import Sprint, Ticket
from .base import ProjectScopedAPIView
from .tickets import TicketSerializer, ticket_json


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
    fields = serializers.DictField(child=serializers.CharField(),
                                   help_text="Custom fields the project shows on cards, as displayed.")


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
    after = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None,
                                  help_text="A ticket key in that column; null puts the card at the top.")
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The version the move is based on; a stale one answers 409.")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="",
                                            help_text="Admins only: move into a finished status despite its checks.")


class BoardView(ProjectScopedAPIView):
    serializer_class = BoardSerializer
    pagination_class = None
    # Cards come from the selector in their REST shape (values rows, one dict each) and are
    # encoded once by orjson; gzip follows when the client accepts it (aihub/compression.py).
    renderer_classes = [ORJSONRenderer]

    @extend_schema(
        operation_id="projects_board_retrieve",
        parameters=[
            OpenApiParameter("sprint", OpenApiTypes.STR, description='A sprint id, or "active". Without it: '
                             "every ticket of the project."),
            OpenApiParameter("assignee", OpenApiTypes.STR, description='A username, or "none" for unassigned.'),
            OpenApiParameter("label", OpenApiTypes.STR, description="A label name."),
            OpenApiParameter("type", OpenApiTypes.STR, description="A ticket type."),
        ],
        responses={200: BoardSerializer},
    )
    def get(self, request, key):
        project = self.get_project()
        sprint = self._sprint(project, request.query_params.get("sprint"))
        no_board = sprint is None and request.query_params.get("sprint") == "active"
        columns = selectors.board_columns(project=project, sprint=sprint,
                                          filters=selectors.BoardFilters.from_query(request.query_params),
                                          per_column=None, empty=no_board, api=True)
        return Response({
            "sprint": sprint.pk if sprint else None,
            "columns": [
                {"status": c.slug, "name": c.name, "wip_limit": c.wip_limit, "is_finished": c.is_finished,
                 "count": c.count, "over_limit": c.over_limit, "tickets": c.cards}
                for c in columns
            ],
        })

    @staticmethod
    def _sprint(project, value):
        if not value:
            return None
        if value == "active":
            return selectors.active_sprint(project=project)
        sprint = Sprint.objects.filter(project=project, pk=value).first() if value.isdigit() else None
        if sprint is None:
            raise ValidationError({"sprint": [f'No sprint “{value}” in {project.key}: give a sprint id or "active".']})
        return sprint


class TicketMoveView(ProjectScopedAPIView):
    serializer_class = TicketSerializer

    @extend_schema(operation_id="tickets_move", request=TicketMoveSerializer,
                   responses={200: TicketSerializer, 409: TicketSerializer})
    def post(self, request, ticket_key):
        # Only what the access check needs: the service re-reads the ticket under a lock.
        ticket = self.get_scoped_ticket(Ticket.objects.only("id", "project_id", "key"), ticket_key)
        data = TicketMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            moved = services.ticket_move(ticket=ticket, user=request.user, **data.validated_data)
        except StaleVersion as stale:
            # The current ticket, and who changed it last, so the board can say who moved it.
            raise Conflict({**ticket_json(stale.current, request=request),
                            "changed_by": selectors.ticket_last_changed_by(ticket=stale.current)}) from None
        # The ticket as GET /api/v1/tickets/{key}/ shows it (the contract's "200 ticket"):
        # the service read everything it shows with the lock, so only backlinks are asked.
        return Response(ticket_json(moved, request=request))

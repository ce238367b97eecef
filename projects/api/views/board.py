"""The board over REST: the columns with their cards, moving a card, and ranking a ticket.

`GET /api/v1/projects/{key}/board/?sprint={id|active}` reads through the board selector
(values() rows, a constant number of queries); `POST /api/v1/tickets/{ticket_key}/move/`
calls `services.board_sql.ticket_move_by_key` (two statements with the access check folded in), or
`services.ticket_move` when that one declines (the board page drags through it) and
`POST /api/v1/tickets/{ticket_key}/rank/` calls `services.ticket_rank` (the backlog page
drags through it). Both answer where the ticket is now (TicketPlaceSerializer), and both
refuse with the API's one error shape: 400 `{"field": ["message"]}`."""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from aihub.api import Conflict
from aihub.exceptions import StaleVersion
from aihub.renderers import ORJSONRenderer

from ... import selectors, services
from ...models import Sprint, Ticket
from ...services.board_sql import ticket_move_by_key
from ..base import ProjectScopedAPIView
from ..serializers import (
    BoardSerializer,
    TicketMoveSerializer,
    TicketPlaceSerializer,
    TicketRankSerializer,
    TicketSerializer,
    ticket_json,
    ticket_place_json,
)


class BoardView(ProjectScopedAPIView):
    serializer_class = BoardSerializer
    pagination_class = None
    # Cards come from the selector in their REST shape (values rows, one dict each) and are
    # encoded once by orjson; gzip follows when the client accepts it (aihub/compression.py).
    renderer_classes = [ORJSONRenderer]

    @extend_schema(
        operation_id="projects_board_retrieve",
        parameters=[
            OpenApiParameter(
                "sprint",
                OpenApiTypes.STR,
                description='A sprint id, or "active". Without it: every ticket of the project.',
            ),
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
        columns = selectors.board_columns(
            project=project,
            sprint=sprint,
            filters=selectors.BoardFilters.from_query(request.query_params),
            per_column=None,
            empty=no_board,
            api=True,
        )
        return Response(
            {
                "sprint": sprint.pk if sprint else None,
                "columns": [
                    {
                        "status": c.slug,
                        "name": c.name,
                        "wip_limit": c.wip_limit,
                        "is_finished": c.is_finished,
                        "count": c.count,
                        "over_limit": c.over_limit,
                        "tickets": c.cards,
                    }
                    for c in columns
                ],
            }
        )

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
    serializer_class = TicketPlaceSerializer

    @extend_schema(
        operation_id="tickets_move",
        request=TicketMoveSerializer,
        responses={200: TicketPlaceSerializer, 409: TicketSerializer},
    )
    def post(self, request, ticket_key):
        data = TicketMoveSerializer(data=request.data)
        try:
            # An ordinary move: access check, lock, place and write in two statements
            # (services/board_sql.py). None: not movable by this user that way (not a
            # member, a viewer, no such ticket, SQLite...): the ordinary path below answers.
            moved = (
                ticket_move_by_key(key=ticket_key, user=request.user, **data.validated_data)
                if data.is_valid()
                else None
            )
            if moved is None:
                # Only what the access check needs (404, 403 before any field error): the
                # service re-reads the ticket under a lock.
                ticket = self.get_scoped_ticket(Ticket.objects.only("id", "project_id", "key"), ticket_key)
                data.is_valid(raise_exception=True)
                moved = services.ticket_move(ticket=ticket, user=request.user, **data.validated_data)
        except StaleVersion as stale:
            # The current ticket (the contract's 409 body), and who changed it last, so the
            # board can say who moved it.
            current = selectors.ticket_list(project=stale.current.project).get(pk=stale.current.pk)
            raise Conflict(
                {
                    **ticket_json(current, request=request),
                    "changed_by": selectors.ticket_last_changed_by(ticket=current),
                }
            ) from None
        return Response(ticket_place_json(moved))


class TicketRankView(ProjectScopedAPIView):
    serializer_class = TicketPlaceSerializer

    @extend_schema(operation_id="tickets_rank", request=TicketRankSerializer, responses={200: TicketPlaceSerializer})
    def post(self, request, ticket_key):
        ticket = self.get_scoped_ticket(Ticket.objects.only("id", "project_id", "key"), ticket_key)
        data = TicketRankSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ranked = services.ticket_rank(ticket=ticket, user=request.user, **data.validated_data)
        return Response(ticket_place_json(ranked))

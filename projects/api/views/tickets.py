"""Tickets and comments over REST, as the contract says: list (filtered, paginated) and
create; read, PATCH (409 with the current ticket on a stale `version`) and delete; comments.

Input serializers check shape; services check the rules (membership, workflow, custom
field types) and their ValidationError becomes a 400 with field errors."""

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from aihub.api import Conflict
from aihub.exceptions import StaleVersion

from ... import selectors, services
from ...models import Comment, Sprint, Ticket
from ..base import ProjectScopedAPIView
from ..serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    TicketBulkResultSerializer,
    TicketBulkSerializer,
    TicketPatchSerializer,
    TicketSerializer,
    TicketWriteSerializer,
    ticket_json,
)


def _client_values(data: dict) -> dict:
    values = dict(data)
    for name in ("assignee", "parent"):
        if name in values and values[name] == "":
            values[name] = None
    return values


FILTER_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, description="Status slugs, comma separated."),
    OpenApiParameter(
        "assignee",
        OpenApiTypes.STR,
        description='Usernames, comma separated; "none" for unassigned, "me" for the caller.',
    ),
    OpenApiParameter("sprint", OpenApiTypes.STR, description='A sprint id, "active", or "none" for the backlog.'),
    OpenApiParameter("label", OpenApiTypes.STR, description="Label names, comma separated (any of them)."),
    OpenApiParameter("type", OpenApiTypes.STR, description="Ticket types, comma separated."),
    OpenApiParameter("priority", OpenApiTypes.STR, description="Priorities, comma separated."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in the title or description, or an exact key."),
    OpenApiParameter(
        "parent", OpenApiTypes.STR, description="A parent ticket's key: its sub-tasks (an epic's stories)."
    ),
    OpenApiParameter("cf_<key>", OpenApiTypes.STR, description="A custom field's value (multi-select: contains)."),
]
ORDERING_PARAMETER = OpenApiParameter(
    "ordering",
    OpenApiTypes.STR,
    enum=[*selectors.TICKET_ORDERINGS, *(f"-{name}" for name in selectors.TICKET_ORDERINGS)],
    description="rank (the backlog's order, the default), number, created_at, updated_at, due_date or "
    "estimate; a leading - reverses. Tickets without a due date or estimate come last.",
)


class TicketListCreate(ProjectScopedAPIView):
    serializer_class = TicketSerializer

    @extend_schema(
        operation_id="projects_tickets_list",
        parameters=[*FILTER_PARAMETERS, ORDERING_PARAMETER],
        responses={200: TicketSerializer(many=True)},
    )
    def get(self, request, key):
        project = self.get_project()
        filters = selectors.TicketFilters.from_query(request.query_params)
        tickets = selectors.ticket_list(
            project=project, filters=filters, user=request.user, ordering=request.query_params.get("ordering", "")
        )
        page = self.paginate_queryset(tickets)
        return self.get_paginated_response(ticket_json(page, request=request, many=True))

    @extend_schema(
        operation_id="projects_tickets_create", request=TicketWriteSerializer, responses={201: TicketSerializer}
    )
    def post(self, request, key):
        project = self.get_project()
        data = TicketWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_create(project=project, reporter=request.user, **_client_values(data.validated_data))
        ticket = selectors.ticket_list(project=project).get(pk=ticket.pk)
        return Response(ticket_json(ticket, request=request), status=status.HTTP_201_CREATED)


class TicketBulk(ProjectScopedAPIView):
    """The backlog's "move selected to a sprint" and bulk edit, for a list of ticket keys."""

    serializer_class = TicketBulkSerializer

    @extend_schema(
        operation_id="projects_tickets_bulk",
        request=TicketBulkSerializer,
        responses={200: TicketBulkResultSerializer},
        description="Either `sprint` (an id, or `backlog`) moves the tickets there, or `field` (priority, "
        "assignee, status, type) and `value` set it on each ticket through the usual rules (a history "
        "line each; a status change is refused per ticket by the finish guards, reported in `refused`).",
    )
    def post(self, request, key):
        project = self.get_project()
        data = TicketBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        keys = list(dict.fromkeys(values["tickets"]))
        tickets = list(Ticket.objects.filter(project=project, key__in=keys))
        unknown = sorted(set(keys) - {t.key for t in tickets})
        if unknown:
            raise ValidationError({"tickets": [f"No such ticket in {project.key}: {', '.join(unknown[:20])}."]})
        if "field" in values:
            changed, refused = services.tickets_bulk_update(
                tickets=tickets, user=request.user, field=values["field"], value=values.get("value") or None
            )
            return Response({"changed": changed, "refused": refused})
        target = values["sprint"].strip()
        sprint = None
        if target != "backlog":
            # An id past PostgreSQL's integer would be a database error, not a 404: no such sprint.
            is_id = target.isdigit() and int(target) < 2**31
            sprint = Sprint.objects.filter(project=project, pk=int(target)).first() if is_id else None
            if sprint is None:
                raise ValidationError({"sprint": [f"No sprint {target} in {project.key}: a sprint id or backlog."]})
        moved = services.sprint_add_tickets(sprint=sprint, tickets=tickets, user=request.user, project=project)
        return Response({"changed": moved, "refused": []})


class TicketDetail(ProjectScopedAPIView):
    serializer_class = TicketSerializer

    def get_ticket(self, ticket_key) -> Ticket:
        return self.get_scoped_ticket(
            Ticket.objects.select_related("project", "status", "assignee", "reporter", "parent").prefetch_related(
                "labels"
            ),
            ticket_key,
        )

    @extend_schema(operation_id="tickets_retrieve", responses={200: TicketSerializer})
    def get(self, request, ticket_key):
        return Response(ticket_json(self.get_ticket(ticket_key), request=request))

    @extend_schema(
        operation_id="tickets_partial_update",
        request=TicketPatchSerializer,
        responses={200: TicketSerializer, 409: TicketSerializer},
    )
    def patch(self, request, ticket_key):
        ticket = self.get_ticket(ticket_key)
        data = TicketPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = _client_values(data.validated_data)
        version = values.pop("version", None)
        try:
            services.ticket_update(ticket=ticket, user=request.user, version=version, **values)
        except StaleVersion:
            raise Conflict(ticket_json(self.get_ticket(ticket_key), request=request)) from None
        return Response(ticket_json(self.get_ticket(ticket_key), request=request))

    @extend_schema(operation_id="tickets_destroy", responses={204: None})
    def delete(self, request, ticket_key):
        services.ticket_delete(ticket=self.get_ticket(ticket_key), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentListCreate(ProjectScopedAPIView):
    serializer_class = CommentSerializer

    def get_ticket(self, ticket_key) -> Ticket:
        return self.get_scoped_ticket(Ticket.objects.select_related("project"), ticket_key)

    @extend_schema(operation_id="tickets_comments_list", responses={200: CommentSerializer(many=True)})
    def get(self, request, ticket_key):
        comments = selectors.ticket_comments(ticket=self.get_ticket(ticket_key))
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tickets_comments_create", request=CommentCreateSerializer, responses={201: CommentSerializer}
    )
    def post(self, request, ticket_key):
        ticket = self.get_ticket(ticket_key)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(ticket=ticket, author=request.user, body=data.validated_data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentDetail(ProjectScopedAPIView):
    serializer_class = CommentSerializer

    @extend_schema(
        operation_id="tickets_comments_destroy",
        responses={204: None},
        description="Its author or a project admin deletes a comment (anyone else: 400 on `comment`).",
    )
    def delete(self, request, ticket_key, comment_id):
        ticket = self.get_scoped_ticket(Ticket.objects.select_related("project"), ticket_key)
        comment = Comment.objects.filter(ticket=ticket, pk=comment_id).select_related("ticket").first()
        if comment is None:
            raise Http404
        services.comment_delete(comment=comment, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

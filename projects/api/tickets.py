"""Tickets and comments over REST, as the contract says: list (filtered, paginated) and
create; read, PATCH (409 with the current ticket on a stale `version`) and delete; comments.

Input serializers check shape; services check the rules (membership, workflow, custom
field types) and their ValidationError becomes a 400 with field errors."""
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from aihub.api import Conflict
from aihub.exceptions import StaleVersion

from .. import hooks, selectors, services
from ..models import Comment, Priority, Ticket, TicketType
from .base import ProjectScopedAPIView


class BacklinkSerializer(serializers.Serializer):
    type = serializers.CharField()
    slug = serializers.CharField(required=False)
    title = serializers.CharField()
    url = serializers.CharField(required=False)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as the contract describes it. `backlinks` come from the serializer context
    (fetched once for a whole page of tickets), never from a query per ticket."""

    project = serializers.CharField(source="project.key", read_only=True)
    status = serializers.CharField(source="status.slug", read_only=True)
    status_name = serializers.CharField(source="status.name", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None, allow_null=True)
    reporter = serializers.CharField(source="reporter.username", read_only=True, default=None, allow_null=True)
    labels = serializers.SerializerMethodField()
    sprint = serializers.IntegerField(source="sprint_id", read_only=True, allow_null=True)
    parent = serializers.CharField(source="parent.key", read_only=True, default=None, allow_null=True)
    backlinks = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ("key", "project", "number", "title", "description", "description_html", "type", "status",
                  "status_name", "priority", "assignee", "reporter", "estimate", "labels", "sprint", "due_date",
                  "parent", "acceptance_criteria", "acceptance_criteria_html", "custom_fields", "rank", "version",
                  "finished_at", "created_at", "updated_at", "backlinks", "url")
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_labels(self, ticket) -> list[str]:
        return sorted(label.name for label in ticket.labels.all())  # prefetched

    @extend_schema_field(BacklinkSerializer(many=True))
    def get_backlinks(self, ticket) -> list[dict]:
        backlinks = self.context.get("backlinks")
        if backlinks is None:
            backlinks = hooks.backlinks_for([ticket.pk])
        return [{k: v for k, v in item.items()} for item in backlinks.get(ticket.pk, [])]

    def get_url(self, ticket) -> str:
        # The ticket page URL around its key, reversed once per project per response.
        prefixes = self.context.setdefault("url_prefixes", {})
        project_key = ticket.project.key
        if project_key not in prefixes:
            marker = f"{project_key}-0"
            path = reverse("projects:ticket", kwargs={"key": project_key, "ticket_key": marker})
            request = self.context.get("request")
            full = request.build_absolute_uri(path) if request else path
            prefixes[project_key] = full.removesuffix(f"{marker}/")
        return f"{prefixes[project_key]}{ticket.key}/"


class TicketWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    status = serializers.CharField(required=False, help_text="A status slug of the project's workflow.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                     help_text="A member's username, or null.")
    estimate = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=1000)
    labels = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    sprint = serializers.IntegerField(required=False, allow_null=True, help_text="A sprint id, or null.")
    due_date = serializers.DateField(required=False, allow_null=True)
    parent = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="A ticket key.")
    acceptance_criteria = serializers.CharField(required=False, allow_blank=True)
    custom_fields = serializers.DictField(required=False, help_text="Values by custom field key; null clears one.")


class TicketPatchSerializer(TicketWriteSerializer):
    title = serializers.CharField(max_length=255, required=False)
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The version this change is based on; a stale one answers 409.")
    override_reason = serializers.CharField(required=False, allow_blank=True,
                                            help_text="Admins only: move into a finished status despite its checks.")


def _client_values(data: dict) -> dict:
    values = dict(data)
    for name in ("assignee", "parent"):
        if name in values and values[name] == "":
            values[name] = None
    return values


def ticket_json(tickets, *, request, many=False):
    items = list(tickets) if many else [tickets]
    context = {"request": request, "backlinks": hooks.backlinks_for([t.pk for t in items])}
    return TicketSerializer(items if many else tickets, many=many, context=context).data


FILTER_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, description="Status slugs, comma separated."),
    OpenApiParameter("assignee", OpenApiTypes.STR, description='Usernames, comma separated; "none" for unassigned, '
                                                               '"me" for the caller.'),
    OpenApiParameter("sprint", OpenApiTypes.STR, description='A sprint id, "active", or "none" for the backlog.'),
    OpenApiParameter("label", OpenApiTypes.STR, description="Label names, comma separated (any of them)."),
    OpenApiParameter("type", OpenApiTypes.STR, description="Ticket types, comma separated."),
    OpenApiParameter("priority", OpenApiTypes.STR, description="Priorities, comma separated."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in the title or description, or an exact key."),
    OpenApiParameter("parent", OpenApiTypes.STR, description="A parent ticket's key: its sub-tasks (an epic's stories)."),
    OpenApiParameter("cf_<key>", OpenApiTypes.STR, description="A custom field's value (multi-select: contains)."),
]


class TicketListCreate(ProjectScopedAPIView):
    serializer_class = TicketSerializer

    @extend_schema(operation_id="projects_tickets_list", parameters=FILTER_PARAMETERS,
                   responses={200: TicketSerializer(many=True)})
    def get(self, request, key):
        project = self.get_project()
        filters = selectors.TicketFilters.from_query(request.query_params)
        page = self.paginate_queryset(selectors.ticket_list(project=project, filters=filters, user=request.user))
        return self.get_paginated_response(ticket_json(page, request=request, many=True))

    @extend_schema(operation_id="projects_tickets_create", request=TicketWriteSerializer,
                   responses={201: TicketSerializer})
    def post(self, request, key):
        project = self.get_project()
        data = TicketWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_create(project=project, reporter=request.user, **_client_values(data.validated_data))
        ticket = selectors.ticket_list(project=project).get(pk=ticket.pk)
        return Response(ticket_json(ticket, request=request), status=status.HTTP_201_CREATED)


class TicketDetail(ProjectScopedAPIView):
    serializer_class = TicketSerializer

    def get_ticket(self, ticket_key) -> Ticket:
        return self.get_scoped_ticket(
            Ticket.objects.select_related("project", "status", "assignee", "reporter", "parent")
            .prefetch_related("labels"),
            ticket_key,
        )

    @extend_schema(operation_id="tickets_retrieve", responses={200: TicketSerializer})
    def get(self, request, ticket_key):
        return Response(ticket_json(self.get_ticket(ticket_key), request=request))

    @extend_schema(operation_id="tickets_partial_update", request=TicketPatchSerializer,
                   responses={200: TicketSerializer, 409: TicketSerializer})
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


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = ("id", "author", "body", "body_html", "created_at", "updated_at")
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(help_text="Markdown; @username mentions notify project members.")


class CommentListCreate(ProjectScopedAPIView):
    serializer_class = CommentSerializer

    def get_ticket(self, ticket_key) -> Ticket:
        return self.get_scoped_ticket(Ticket.objects.select_related("project"), ticket_key)

    @extend_schema(operation_id="tickets_comments_list", responses={200: CommentSerializer(many=True)})
    def get(self, request, ticket_key):
        comments = selectors.ticket_comments(ticket=self.get_ticket(ticket_key))
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(operation_id="tickets_comments_create", request=CommentCreateSerializer,
                   responses={201: CommentSerializer})
    def post(self, request, ticket_key):
        ticket = self.get_ticket(ticket_key)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(ticket=ticket, author=request.user, body=data.validated_data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

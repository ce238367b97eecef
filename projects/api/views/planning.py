"""Planning settings and helpers over REST: custom fields and workflow statuses (admins
write), saved views (anyone saves a private view; members share), ticket relations."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ... import selectors, services
from ...access import Action, can
from ...models import CustomField, SavedView, Ticket, TicketRelation
from ..base import ProjectScopedAPIView
from ..serializers import (
    CustomFieldPatchSerializer,
    CustomFieldSerializer,
    CustomFieldWriteSerializer,
    RelationSerializer,
    SavedViewSerializer,
    StatusPatchSerializer,
    StatusSerializer,
    StatusWriteSerializer,
)


class CustomFieldListCreate(ProjectScopedAPIView):
    serializer_class = CustomFieldSerializer
    pagination_class = None
    write_action = Action.ADMIN

    @extend_schema(operation_id="projects_custom_fields_list", responses={200: CustomFieldSerializer(many=True)})
    def get(self, request, key):
        return Response(
            CustomFieldSerializer(self.get_project().custom_fields.order_by("position", "id"), many=True).data
        )

    @extend_schema(
        operation_id="projects_custom_fields_create",
        request=CustomFieldWriteSerializer,
        responses={201: CustomFieldSerializer},
    )
    def post(self, request, key):
        project = self.get_project()
        data = CustomFieldWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = services.custom_field_create(project=project, **data.validated_data)
        return Response(CustomFieldSerializer(field).data, status=status.HTTP_201_CREATED)


class CustomFieldDetail(ProjectScopedAPIView):
    serializer_class = CustomFieldSerializer
    write_action = Action.ADMIN

    def get_field(self, field_key) -> CustomField:
        field = self.get_project().custom_fields.filter(key=field_key).first()
        if field is None:
            raise Http404
        return field

    @extend_schema(operation_id="projects_custom_fields_retrieve", responses={200: CustomFieldSerializer})
    def get(self, request, key, field_key):
        return Response(CustomFieldSerializer(self.get_field(field_key)).data)

    @extend_schema(
        operation_id="projects_custom_fields_partial_update",
        request=CustomFieldPatchSerializer,
        responses={200: CustomFieldSerializer},
    )
    def patch(self, request, key, field_key):
        field = self.get_field(field_key)
        data = CustomFieldPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.custom_field_update(field=field, **data.validated_data)
        return Response(CustomFieldSerializer(field).data)

    @extend_schema(operation_id="projects_custom_fields_destroy", responses={204: None})
    def delete(self, request, key, field_key):
        services.custom_field_delete(field=self.get_field(field_key))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StatusListCreate(ProjectScopedAPIView):
    serializer_class = StatusSerializer
    pagination_class = None
    write_action = Action.ADMIN

    @extend_schema(operation_id="projects_statuses_list", responses={200: StatusSerializer(many=True)})
    def get(self, request, key):
        return Response(StatusSerializer(self.get_project().statuses.order_by("position", "id"), many=True).data)

    @extend_schema(
        operation_id="projects_statuses_create", request=StatusWriteSerializer, responses={201: StatusSerializer}
    )
    def post(self, request, key):
        data = StatusWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.status_add(project=self.get_project(), **data.validated_data)
        return Response(StatusSerializer(created).data, status=status.HTTP_201_CREATED)


class StatusDetail(ProjectScopedAPIView):
    serializer_class = StatusSerializer
    write_action = Action.ADMIN

    @extend_schema(
        operation_id="projects_statuses_partial_update",
        request=StatusPatchSerializer,
        responses={200: StatusSerializer},
    )
    def patch(self, request, key, slug):
        project = self.get_project()
        current = project.statuses.filter(slug=slug).first()
        if current is None:
            raise Http404
        data = StatusPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        services.status_update(
            status=current,
            name=values.get("name"),
            is_finished=values.get("is_finished"),
            wip_limit=values.get("wip_limit", ""),
            position=values.get("position"),
        )
        current.refresh_from_db()
        return Response(StatusSerializer(current).data)

    @extend_schema(
        operation_id="projects_statuses_destroy",
        parameters=[
            OpenApiParameter(
                "move_to", str, description="The slug of the status its tickets move to (required when it has any)."
            )
        ],
        responses={204: None},
        description="Remove a status. A workflow keeps at least one status and one finished status (400).",
    )
    def delete(self, request, key, slug):
        project = self.get_project()
        current = project.statuses.filter(slug=slug).first()
        if current is None:
            raise Http404
        move_to = project.statuses.filter(slug=request.query_params.get("move_to", "")).first()
        services.status_delete(status=current, move_to=move_to)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedViewListCreate(ProjectScopedAPIView):
    """Saved views: the caller's own and those shared with the project. Any member, a
    viewer too, may save a private view; sharing takes the member role."""

    serializer_class = SavedViewSerializer
    write_action = Action.VIEW

    @extend_schema(operation_id="projects_views_list", responses={200: SavedViewSerializer(many=True)})
    def get(self, request, key):
        views = selectors.saved_views_for(project=self.get_project(), user=request.user)
        page = self.paginate_queryset(views)
        return self.get_paginated_response(SavedViewSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_views_create", request=SavedViewSerializer, responses={201: SavedViewSerializer}
    )
    def post(self, request, key):
        project = self.get_project()
        data = SavedViewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data.get("shared") and not can(project, Action.EDIT):
            raise ValidationError({"shared": ["Viewers can save private views only."]})
        view = services.saved_view_create(project=project, owner=request.user, **data.validated_data)
        return Response(SavedViewSerializer(view).data, status=status.HTTP_201_CREATED)


class SavedViewDetail(ProjectScopedAPIView):
    serializer_class = SavedViewSerializer
    write_action = Action.VIEW

    @extend_schema(operation_id="projects_views_destroy", responses={204: None})
    def delete(self, request, key, view_id):
        project = self.get_project()
        view = (
            SavedView.objects.filter(project=project, pk=view_id).filter(Q(owner=request.user) | Q(shared=True)).first()
        )
        if view is None:
            raise Http404
        services.saved_view_delete(view=view, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketRelationListCreate(ProjectScopedAPIView):
    serializer_class = RelationSerializer
    pagination_class = None

    def get_ticket(self, ticket_key) -> Ticket:
        return self.get_scoped_ticket(Ticket.objects.select_related("project"), ticket_key)

    @staticmethod
    def _json(items) -> list[dict]:
        kinds = {"blocks": "blocks", "is blocked by": "is_blocked_by", "relates to": "relates_to"}
        return [
            {"id": i["id"], "kind": kinds[i["label"]], "ticket": i["ticket"].key, "title": i["ticket"].title}
            for i in items
        ]

    @extend_schema(operation_id="tickets_relations_list", responses={200: RelationSerializer(many=True)})
    def get(self, request, ticket_key):
        return Response(self._json(selectors.ticket_relations(ticket=self.get_ticket(ticket_key))))

    @extend_schema(
        operation_id="tickets_relations_create",
        request=RelationSerializer,
        responses={201: RelationSerializer(many=True)},
    )
    def post(self, request, ticket_key):
        ticket = self.get_ticket(ticket_key)
        data = RelationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        other = Ticket.objects.filter(project_id=ticket.project_id, key=data.validated_data["ticket"]).first()
        if other is None:
            raise ValidationError({"ticket": [f"No ticket {data.validated_data['ticket']} in {ticket.project.key}."]})
        services.relation_add(ticket=ticket, other=other, kind=data.validated_data["kind"], user=request.user)
        return Response(self._json(selectors.ticket_relations(ticket=ticket)), status=status.HTTP_201_CREATED)


class TicketRelationDetail(ProjectScopedAPIView):
    serializer_class = RelationSerializer

    @extend_schema(operation_id="tickets_relations_destroy", responses={204: None})
    def delete(self, request, ticket_key, relation_id):
        ticket = self.get_scoped_ticket(Ticket.objects.select_related("project"), ticket_key)
        relation = (
            TicketRelation.objects.filter(Q(source=ticket) | Q(target=ticket), pk=relation_id)
            .select_related("source", "target")
            .first()
        )
        if relation is None:
            raise Http404
        services.relation_remove(relation=relation, ticket=ticket, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Sprints over REST: list and create, start (one active per project), complete with
carry-over, burndown."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ... import selectors, services
from ...models import Sprint
from ..base import ProjectScopedAPIView
from ..serializers import (
    BurndownSerializer,
    SprintCompleteSerializer,
    SprintCreateSerializer,
    SprintSerializer,
    SprintStartSerializer,
)


class SprintListCreate(ProjectScopedAPIView):
    serializer_class = SprintSerializer

    @extend_schema(operation_id="projects_sprints_list", responses={200: SprintSerializer(many=True)})
    def get(self, request, key):
        page = self.paginate_queryset(selectors.sprint_list(project=self.get_project()).select_related("project"))
        return self.get_paginated_response(SprintSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_sprints_create", request=SprintCreateSerializer, responses={201: SprintSerializer}
    )
    def post(self, request, key):
        project = self.get_project()
        data = SprintCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sprint = services.sprint_create(project=project, **data.validated_data)
        return Response(SprintSerializer(sprint).data, status=status.HTTP_201_CREATED)


class SprintScopedView(ProjectScopedAPIView):
    serializer_class = SprintSerializer

    def get_sprint(self, sprint_id) -> Sprint:
        return self.get_scoped_object(Sprint.objects.select_related("project"), pk=sprint_id)

    def sprint_json(self, sprint: Sprint) -> dict:
        annotated = get_object_or_404(selectors.sprint_list(project=sprint.project), pk=sprint.pk)
        return SprintSerializer(annotated).data


class SprintDetail(SprintScopedView):
    @extend_schema(operation_id="sprints_retrieve", responses={200: SprintSerializer})
    def get(self, request, sprint_id):
        return Response(self.sprint_json(self.get_sprint(sprint_id)))

    @extend_schema(
        operation_id="sprints_partial_update", request=SprintCreateSerializer, responses={200: SprintSerializer}
    )
    def patch(self, request, sprint_id):
        sprint = self.get_sprint(sprint_id)
        data = SprintCreateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.sprint_update(sprint=sprint, **data.validated_data)
        return Response(self.sprint_json(sprint))

    @extend_schema(
        operation_id="sprints_destroy",
        responses={204: None},
        description="Delete a planned sprint; its tickets go back to the backlog (an active or completed "
        "sprint: 400 on `state`).",
    )
    def delete(self, request, sprint_id):
        services.sprint_delete(sprint=self.get_sprint(sprint_id), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SprintStart(SprintScopedView):
    @extend_schema(operation_id="sprints_start", request=SprintStartSerializer, responses={200: SprintSerializer})
    def post(self, request, sprint_id):
        data = SprintStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sprint = services.sprint_start(
            sprint=self.get_sprint(sprint_id), user=request.user, dates=data.validated_data["dates"]
        )
        return Response(self.sprint_json(sprint))


class SprintComplete(SprintScopedView):
    @extend_schema(operation_id="sprints_complete", request=SprintCompleteSerializer, responses={200: SprintSerializer})
    def post(self, request, sprint_id):
        sprint = self.get_sprint(sprint_id)
        data = SprintCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = None
        if data.validated_data["move_open_to"] is not None:
            target = Sprint.objects.filter(project=sprint.project, pk=data.validated_data["move_open_to"]).first()
            if target is None:
                raise serializers.ValidationError(
                    {"move_open_to": [f"No sprint {data.validated_data['move_open_to']} in {sprint.project.key}."]}
                )
        sprint = services.sprint_complete(sprint=sprint, user=request.user, move_open_to=target)
        return Response(self.sprint_json(sprint))


class SprintBurndown(SprintScopedView):
    serializer_class = BurndownSerializer

    @extend_schema(operation_id="sprints_burndown", responses={200: BurndownSerializer})
    def get(self, request, sprint_id):
        return Response(BurndownSerializer(selectors.sprint_burndown(sprint=self.get_sprint(sprint_id))).data)

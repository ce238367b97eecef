"""The lifecycle over REST: exit criteria (list, create under the project; read, PATCH to
edit or tick, delete by id), the phase advance (admins; 400 naming the unticked criteria
unless `override_reason` is given) and the phase-change history, and milestones (list,
create; read, PATCH with 409 on a stale `version`, delete). Viewers read, members write,
non-members get 404."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from aihub.api import Conflict
from aihub.exceptions import StaleVersion

from ...access import Action
from ...models import PHASE_ORDER, ExitCriterion, Milestone
from ...selectors.lifecycle import exit_criteria_list, milestone_for_page, milestone_list, phase_transitions
from ...services import lifecycle as services
from ..base import ProjectScopedAPIView
from ..serializers.lifecycle import (
    ExitCriterionPatchSerializer,
    ExitCriterionSerializer,
    ExitCriterionWriteSerializer,
    MilestonePatchSerializer,
    MilestoneSerializer,
    MilestoneWriteSerializer,
    PhaseAdvanceSerializer,
    PhaseTransitionSerializer,
    milestone_json,
)

PHASE_PARAMETER = OpenApiParameter(
    "phase", OpenApiTypes.STR, enum=list(PHASE_ORDER), description="Only the criteria of this phase."
)


class ExitCriterionListCreate(ProjectScopedAPIView):
    serializer_class = ExitCriterionSerializer

    @extend_schema(
        operation_id="projects_exit_criteria_list",
        parameters=[PHASE_PARAMETER],
        responses={200: ExitCriterionSerializer(many=True)},
    )
    def get(self, request, key):
        project = self.get_project()
        phase = request.query_params.get("phase")
        page = self.paginate_queryset(
            exit_criteria_list(project=project, phase=phase if phase in PHASE_ORDER else None)
        )
        return self.get_paginated_response(ExitCriterionSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_exit_criteria_create",
        request=ExitCriterionWriteSerializer,
        responses={201: ExitCriterionSerializer},
    )
    def post(self, request, key):
        project = self.get_project()
        data = ExitCriterionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = services.exit_criterion_create(project=project, user=request.user, **data.validated_data)
        criterion = exit_criteria_list(project=project).get(pk=criterion.pk)
        return Response(ExitCriterionSerializer(criterion).data, status=status.HTTP_201_CREATED)


class ExitCriterionDetail(ProjectScopedAPIView):
    serializer_class = ExitCriterionSerializer

    def get_criterion(self, criterion_id) -> ExitCriterion:
        return self.get_scoped_object(ExitCriterion.objects.select_related("project", "done_by"), pk=criterion_id)

    @extend_schema(operation_id="exit_criteria_retrieve", responses={200: ExitCriterionSerializer})
    def get(self, request, criterion_id):
        return Response(ExitCriterionSerializer(self.get_criterion(criterion_id)).data)

    @extend_schema(
        operation_id="exit_criteria_partial_update",
        request=ExitCriterionPatchSerializer,
        responses={200: ExitCriterionSerializer},
    )
    def patch(self, request, criterion_id):
        criterion = self.get_criterion(criterion_id)
        data = ExitCriterionPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.exit_criterion_update(criterion=criterion, user=request.user, **data.validated_data)
        return Response(ExitCriterionSerializer(self.get_criterion(criterion_id)).data)

    @extend_schema(operation_id="exit_criteria_destroy", responses={204: None})
    def delete(self, request, criterion_id):
        services.exit_criterion_delete(criterion=self.get_criterion(criterion_id), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhaseTransitionList(ProjectScopedAPIView):
    """The project's phase changes, newest first."""

    serializer_class = PhaseTransitionSerializer

    @extend_schema(
        operation_id="projects_phase_transitions_list", responses={200: PhaseTransitionSerializer(many=True)}
    )
    def get(self, request, key):
        page = self.paginate_queryset(phase_transitions(project=self.get_project()))
        return self.get_paginated_response(PhaseTransitionSerializer(page, many=True).data)


class PhaseAdvance(ProjectScopedAPIView):
    """Move the project to `to_phase` (the next phase by default). Admins only. Moving
    forward while exit criteria of the phases it leaves are unticked is refused with 400
    (`exit_criteria`: one message per unticked criterion) unless `override_reason` is
    given; the transition records the actor, the time and the checklist as it stood."""

    serializer_class = PhaseTransitionSerializer
    write_action = Action.ADMIN

    @extend_schema(
        operation_id="projects_phase_advance",
        request=PhaseAdvanceSerializer,
        responses={201: PhaseTransitionSerializer},
    )
    def post(self, request, key):
        project = self.get_project()
        data = PhaseAdvanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transition = services.phase_advance(
            project,
            request.user,
            to_phase=data.validated_data.get("to_phase"),
            override_reason=data.validated_data.get("override_reason", ""),
        )
        transition = phase_transitions(project=project).get(pk=transition.pk)
        return Response(PhaseTransitionSerializer(transition).data, status=status.HTTP_201_CREATED)


class MilestoneListCreate(ProjectScopedAPIView):
    serializer_class = MilestoneSerializer

    @extend_schema(operation_id="projects_milestones_list", responses={200: MilestoneSerializer(many=True)})
    def get(self, request, key):
        page = self.paginate_queryset(milestone_list(project=self.get_project()))
        return self.get_paginated_response(milestone_json(page, request=request, many=True))

    @extend_schema(
        operation_id="projects_milestones_create",
        request=MilestoneWriteSerializer,
        responses={201: MilestoneSerializer},
    )
    def post(self, request, key):
        project = self.get_project()
        data = MilestoneWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = services.milestone_create(project=project, user=request.user, **data.validated_data)
        milestone = milestone_for_page(project=project, milestone_id=milestone.pk)
        return Response(milestone_json(milestone, request=request), status=status.HTTP_201_CREATED)


class MilestoneDetail(ProjectScopedAPIView):
    serializer_class = MilestoneSerializer

    def get_milestone(self, milestone_id) -> Milestone:
        milestone = self.get_scoped_object(Milestone.objects.select_related("project"), pk=milestone_id)
        return milestone_for_page(project=milestone.project, milestone_id=milestone.pk)

    @extend_schema(operation_id="milestones_retrieve", responses={200: MilestoneSerializer})
    def get(self, request, milestone_id):
        return Response(milestone_json(self.get_milestone(milestone_id), request=request))

    @extend_schema(
        operation_id="milestones_partial_update",
        request=MilestonePatchSerializer,
        responses={200: MilestoneSerializer, 409: MilestoneSerializer},
    )
    def patch(self, request, milestone_id):
        milestone = self.get_milestone(milestone_id)
        data = MilestonePatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        try:
            services.milestone_update(milestone=milestone, user=request.user, version=version, **values)
        except StaleVersion:
            raise Conflict(milestone_json(self.get_milestone(milestone_id), request=request)) from None
        return Response(milestone_json(self.get_milestone(milestone_id), request=request))

    @extend_schema(operation_id="milestones_destroy", responses={204: None})
    def delete(self, request, milestone_id):
        services.milestone_delete(milestone=self.get_milestone(milestone_id), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

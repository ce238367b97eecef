"""The risk register over REST: list (filtered, sorted, paginated) and create under the
project; read, PATCH (409 with the current risk on a stale `version`) and delete by id.
Viewers read, members and admins write, non-members get 404."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from aihub.api import Conflict
from aihub.exceptions import StaleVersion

from ... import selectors, services
from ...models import Risk
from ..base import ProjectScopedAPIView
from ..serializers import RiskPatchSerializer, RiskSerializer, RiskWriteSerializer, risk_json

FILTER_PARAMETERS = [
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        description='"active" (open and mitigating, the default), "all", or one status: open, mitigating, '
        "closed, accepted.",
    ),
    OpenApiParameter("likelihood", OpenApiTypes.INT, description="Only risks of this likelihood (1 to 5)."),
    OpenApiParameter("impact", OpenApiTypes.INT, description="Only risks of this impact (1 to 5)."),
    OpenApiParameter("high", OpenApiTypes.BOOL, description="Only high risks (score >= 15)."),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        enum=list(selectors.RISK_SORTS),
        description="score (highest first, the default), review (soonest review date first) or newest.",
    ),
]


def _client_values(data: dict) -> dict:
    values = dict(data)
    if values.get("owner") == "":
        values["owner"] = None
    return values


class RiskListCreate(ProjectScopedAPIView):
    serializer_class = RiskSerializer

    @extend_schema(
        operation_id="projects_risks_list", parameters=FILTER_PARAMETERS, responses={200: RiskSerializer(many=True)}
    )
    def get(self, request, key):
        project = self.get_project()
        filters = selectors.RiskFilters.from_query(request.query_params)
        page = self.paginate_queryset(selectors.risk_list(project=project, filters=filters))
        return self.get_paginated_response(risk_json(page, request=request, many=True))

    @extend_schema(operation_id="projects_risks_create", request=RiskWriteSerializer, responses={201: RiskSerializer})
    def post(self, request, key):
        project = self.get_project()
        data = RiskWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        risk = services.risk_create(project=project, user=request.user, **_client_values(data.validated_data))
        risk = selectors.risk_for_page(project=project, risk_id=risk.pk)
        return Response(risk_json(risk, request=request), status=status.HTTP_201_CREATED)


class RiskDetail(ProjectScopedAPIView):
    serializer_class = RiskSerializer

    def get_risk(self, risk_id) -> Risk:
        risk = self.get_scoped_object(Risk.objects.select_related("project"), pk=risk_id)
        return selectors.risk_for_page(project=risk.project, risk_id=risk.pk)

    @extend_schema(operation_id="risks_retrieve", responses={200: RiskSerializer})
    def get(self, request, risk_id):
        return Response(risk_json(self.get_risk(risk_id), request=request))

    @extend_schema(
        operation_id="risks_partial_update",
        request=RiskPatchSerializer,
        responses={200: RiskSerializer, 409: RiskSerializer},
    )
    def patch(self, request, risk_id):
        risk = self.get_risk(risk_id)
        data = RiskPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = _client_values(data.validated_data)
        version = values.pop("version", None)
        try:
            services.risk_update(risk=risk, user=request.user, version=version, **values)
        except StaleVersion:
            raise Conflict(risk_json(self.get_risk(risk_id), request=request)) from None
        return Response(risk_json(self.get_risk(risk_id), request=request))

    @extend_schema(operation_id="risks_destroy", responses={204: None})
    def delete(self, request, risk_id):
        services.risk_delete(risk=self.get_risk(risk_id), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

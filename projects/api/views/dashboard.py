"""GET /api/v1/projects/{key}/dashboard/: the figures behind the dashboard. Viewers read
it; non-members get 404."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ... import selectors
from ...selectors.figures import dashboard_figures
from ..base import ProjectScopedAPIView
from ..serializers.dashboard import DashboardSerializer

FORECAST_PARAMETERS = [
    OpenApiParameter(
        "scope",
        OpenApiTypes.STR,
        enum=["remaining", "epic", "tickets"],
        description="What the forecast is for: the remaining backlog (default), an epic, or chosen tickets.",
    ),
    OpenApiParameter("epic", OpenApiTypes.STR, description="With scope=epic: the epic's key (e.g. CV-1)."),
    OpenApiParameter(
        "tickets", OpenApiTypes.STR, description="With scope=tickets: ticket keys, comma separated (at most 200)."
    ),
]


class DashboardView(ProjectScopedAPIView):
    serializer_class = DashboardSerializer

    @extend_schema(
        operation_id="projects_dashboard_retrieve",
        parameters=FORECAST_PARAMETERS,
        responses={200: DashboardSerializer},
    )
    def get(self, request, key):
        project = self.get_project()
        scope = selectors.ForecastScope.from_query(request.query_params)
        return Response(DashboardSerializer(dashboard_figures(project, scope=scope)).data)

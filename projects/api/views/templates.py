"""Project templates and the portfolio over REST: the templates the caller may start a
project from (`POST /api/v1/projects/` takes one as `template`), and one row per project
the caller belongs to."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import selectors
from ..serializers.templates import PortfolioRowSerializer, ProjectTemplateSerializer


class ProjectTemplateList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="project_templates_list",
        responses={200: ProjectTemplateSerializer(many=True)},
        description="Templates the caller may use: the built-in `ml-model`, then saved templates (their creator's, "
        "their source project's members', or shared by staff with everyone).",
    )
    def get(self, request):
        return Response(ProjectTemplateSerializer(selectors.project_templates_for(user=request.user), many=True).data)


class PortfolioView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="portfolio_list",
        parameters=[
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                enum=[*selectors.PORTFOLIO_SORTS, *(f"-{name}" for name in selectors.PORTFOLIO_SORTS)],
                description="name, phase (lifecycle order), health (off track first) or milestone (soonest next "
                "milestone first); a leading `-` reverses. Default: health.",
            )
        ],
        responses={200: PortfolioRowSerializer(many=True)},
        description="One row per project the caller belongs to (viewers included): phase, health with its "
        "reasons and the top one, the active sprint's progress, the primary target's best value against the "
        "target, and the next open milestone. The same number of queries for 1 or 50 projects.",
    )
    def get(self, request):
        rows = selectors.portfolio_rows(user=request.user, sort=request.query_params.get("sort"))
        return Response(PortfolioRowSerializer(rows, many=True).data)

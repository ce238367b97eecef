"""Project templates and the portfolio over REST: the templates the caller may start a
project from (`POST /api/v1/projects/` takes one as `template`), and one row per project
the caller belongs to."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import selectors, services
from ...access import Action
from ..base import ProjectScopedAPIView
from ..serializers.templates import (
    PortfolioRowSerializer,
    ProjectTemplateSaveSerializer,
    ProjectTemplateSerializer,
)


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


class ProjectTemplateDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="project_templates_destroy",
        responses={204: None},
        description="Delete a saved template: its creator, an admin of its source project or staff "
        "(anyone else who may use it: 403). Built-in templates cannot be deleted (404).",
    )
    def delete(self, request, template_id):
        template = selectors.saved_templates_for(user=request.user).filter(pk=template_id).first()
        if template is None:
            raise Http404
        services.project_template_delete(template=template, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectSaveAsTemplate(ProjectScopedAPIView):
    """Admins save the project's structure (workflow, fields, labels, epics, starter tickets,
    checklists; not its data) as a template for new projects."""

    write_action = Action.ADMIN
    serializer_class = ProjectTemplateSerializer

    @extend_schema(
        operation_id="projects_save_as_template",
        request=ProjectTemplateSaveSerializer,
        responses={201: ProjectTemplateSerializer},
    )
    def post(self, request, key):
        data = ProjectTemplateSaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = services.project_template_save(project=self.get_project(), user=request.user, **data.validated_data)
        body = {"id": str(template.pk), "name": template.name, "description": template.description, "builtin": False}
        return Response(ProjectTemplateSerializer(body).data, status=status.HTTP_201_CREATED)


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

"""A whole project over REST: GET .../export/ downloads its archive (admins), POST
projects/import/ uploads one and queues its import job (202 with the job's id)."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.access import Action
from projects.api.base import ProjectScopedAPIView

from .. import archive


def archive_response(project) -> HttpResponse:
    response = HttpResponse(archive.project_export(project), content_type="application/zip")
    name = f"{project.key}-{timezone.now():%Y%m%d-%H%M}.aihub.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ProjectExport(ProjectScopedAPIView):
    """The project's archive: settings, workflow, members, tickets with their history, docs
    with every revision and attachment, lifecycle, risks, run links, gates and targets."""

    read_action = Action.ADMIN

    @extend_schema(
        operation_id="projects_export", responses={(200, "application/zip"): OpenApiResponse(description="A zip")}
    )
    def get(self, request, key):
        return archive_response(self.get_project())


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="An archive from GET /api/v1/projects/{key}/export/.")
    key = serializers.CharField(max_length=10, help_text="The new project's key.")


class ProjectImport(APIView):
    """Start importing an archive as a new project; follow it at GET /api/v1/imports/{id}/."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="projects_import",
        request={"multipart/form-data": ImportRequestSerializer},
        responses={202: inline_serializer("ImportStarted", {"id": serializers.IntegerField()})},
    )
    def post(self, request):
        data = ImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = archive.import_start(
            user=request.user, key=data.validated_data["key"], upload=data.validated_data["file"]
        )
        return Response({"id": job.pk}, status=status.HTTP_202_ACCEPTED)

"""The Jira CSV import over REST: a dry run answers the preview (nothing written); otherwise
an import job is queued (202 with its id; follow it at GET /api/v1/imports/{id}/). Admins of
the project only: a non-member gets 404, a member or viewer 403."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from projects.access import Action
from projects.api.base import ProjectScopedAPIView

from .. import jira_import


class JiraImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file Jira exported (Export Excel CSV, all fields).")
    dry_run = serializers.BooleanField(default=False, help_text="true: answer the preview and write nothing.")
    status_map = serializers.JSONField(
        binary=True,
        required=False,
        help_text='JSON object: Jira status -> workflow status slug, e.g. {"QA": "in_review"}.',
    )
    unknown_columns = serializers.ChoiceField(
        choices=["keep", "ignore"], default="keep", help_text="keep: unknown columns become text custom fields."
    )
    keep_columns = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Only these unknown columns are kept (repeat the field).",
    )


class JiraImport(ProjectScopedAPIView):
    read_action = Action.ADMIN
    write_action = Action.ADMIN
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = JiraImportRequestSerializer

    @extend_schema(
        operation_id="projects_imports_jira_create",
        request={"multipart/form-data": JiraImportRequestSerializer},
        responses={
            200: inline_serializer(
                "JiraImportPreview",
                {
                    "tickets": serializers.IntegerField(),
                    "preview": serializers.ListField(child=serializers.DictField()),
                },
            ),
            202: inline_serializer("JiraImportQueued", {"id": serializers.IntegerField()}),
        },
    )
    def post(self, request, key):
        project = self.get_project()
        data = JiraImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        options = jira_import.jira_options_clean(
            status_map=given.get("status_map"),
            unknown_columns=given["unknown_columns"],
            keep_columns=given.get("keep_columns"),
        )
        raw, jira = jira_import.jira_file_read(upload=given["file"])
        if given["dry_run"]:
            return Response(jira_import.jira_preview(project=project, jira=jira, options=options))
        job = jira_import.jira_import_start(
            project=project, user=request.user, data=raw, jira=jira, file_name=given["file"].name, options=options
        )
        return Response({"id": job.pk}, status=status.HTTP_202_ACCEPTED)

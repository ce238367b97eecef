"""POST /api/v1/projects/{key}/imports/markdown/: a zip of Markdown files becomes a tree of
docs. `dry_run=true` answers the preview (nothing written); otherwise 202 with the job's id,
followed at GET /api/v1/imports/{id}/. Members who may edit docs; a non-member gets 404."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from projects.access import Action
from projects.api.base import ProjectScopedAPIView

from .. import markdown_import


class MarkdownImportRequest(serializers.Serializer):
    file = serializers.FileField(help_text="A .zip of Markdown files (.md, .markdown) and the files they link to.")
    parent = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Import under this page (its id or slug); the top level when left out.",
    )
    dry_run = serializers.BooleanField(required=False, default=False, help_text="true: answer the preview only.")


class PreviewNode(serializers.Serializer):
    path = serializers.CharField(help_text="The file in the zip (a folder's own page ends with /).")
    title = serializers.CharField()
    action = serializers.ChoiceField(choices=["create", "update"])
    attachments = serializers.IntegerField()
    children = serializers.ListField(child=serializers.DictField(), help_text="Nodes of the same shape.")


class MarkdownImportPreview(serializers.Serializer):
    pages = serializers.IntegerField()
    create = serializers.IntegerField()
    update = serializers.IntegerField(help_text="Pages an earlier import of this zip under this parent made.")
    attachments = serializers.IntegerField()
    links_rewritten = serializers.IntegerField()
    missing_links = serializers.ListField(
        child=inline_serializer("MissingLink", {"page": serializers.CharField(), "link": serializers.CharField()})
    )
    warnings = serializers.ListField(child=serializers.CharField())
    tree = PreviewNode(many=True)
    sample = serializers.ListField(
        child=inline_serializer("PreviewSample", {"path": serializers.CharField(), "body": serializers.CharField()})
    )


class MarkdownImport(ProjectScopedAPIView):
    read_action = Action.EDIT
    write_action = Action.EDIT
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = MarkdownImportRequest

    @extend_schema(
        operation_id="projects_imports_markdown_create",
        request={"multipart/form-data": MarkdownImportRequest},
        responses={
            200: MarkdownImportPreview,
            202: inline_serializer("ImportJobCreated", {"id": serializers.IntegerField()}),
        },
    )
    def post(self, request, key):
        project = self.get_project()
        data = MarkdownImportRequest(data=request.data)
        data.is_valid(raise_exception=True)
        parent = markdown_import.markdown_import_parent(project=project, parent=data.validated_data.get("parent"))
        upload = data.validated_data["file"]
        if data.validated_data["dry_run"]:
            preview = markdown_import.markdown_import_preview(project=project, parent=parent, upload=upload)
            return Response(preview)
        job = markdown_import.markdown_import_start(project=project, parent=parent, upload=upload, user=request.user)
        return Response({"id": job.pk}, status=status.HTTP_202_ACCEPTED)

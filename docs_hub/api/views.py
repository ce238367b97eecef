"""Docs and search over REST (see shared/api-contract.md: Docs, Search)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from aihub.api import Conflict
from aihub.exceptions import StaleVersion
from aihub.limits import text_limit
from projects.access import Action, projects_for
from projects.api.base import ProjectScopedAPIView

from .. import macros, selectors, services
from ..models import Doc, DocTemplate
from ..rendering import render_doc
from ..search import search
from .serializers import (
    DocCreateSerializer,
    DocPreviewResultSerializer,
    DocPreviewSerializer,
    DocRevisionDetailSerializer,
    DocRevisionSerializer,
    DocSerializer,
    DocTemplateSerializer,
    DocTemplateWriteSerializer,
    DocUpdateSerializer,
    SearchQuerySerializer,
    SearchResultsSerializer,
    StatusReportSerializer,
    TrashedDocSerializer,
)


class DocsBase(ProjectScopedAPIView):
    serializer_class = DocSerializer

    def doc(self) -> Doc:
        project = self.get_project()
        doc, _ = selectors.doc_by_slug(project=project, slug=self.kwargs["slug"])
        if doc is None:
            raise Http404
        doc.project = project
        return doc

    def parent_from(self, project, slug):
        if not slug:
            return None
        parent, _ = selectors.doc_by_slug(project=project, slug=slug)
        if parent is None:
            raise ValidationError({"parent": [f"No page with slug “{slug}” in this project."]})
        return parent

    def doc_data(self, doc: Doc) -> dict:
        return DocSerializer(doc, context={"html": {doc.id: selectors.doc_current_html(doc=doc)}}).data


class DocListCreate(DocsBase):
    @extend_schema(operation_id="docs_list", responses=DocSerializer(many=True))
    def get(self, request, key):
        project = self.get_project()
        page = self.paginate_queryset(selectors.doc_list(project=project))
        for doc in page:
            doc.project = project
        html = selectors.docs_current_html(project=project, docs=page)
        return self.get_paginated_response(DocSerializer(page, many=True, context={"html": html}).data)

    @extend_schema(operation_id="docs_create", request=DocCreateSerializer, responses={201: DocSerializer})
    def post(self, request, key):
        project = self.get_project()
        data = DocCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        doc = services.doc_create(
            project=project,
            author=request.user,
            title=values["title"],
            body=values["body"],
            parent=self.parent_from(project, values["parent"]),
            template=values["template"] or None,
            message=values["message"],
        )
        doc.project = project
        return Response(self.doc_data(doc), status=status.HTTP_201_CREATED)


class DocDetail(DocsBase):
    @extend_schema(operation_id="docs_retrieve", responses=DocSerializer)
    def get(self, request, key, slug):
        return Response(self.doc_data(self.doc()))

    @extend_schema(
        operation_id="docs_partial_update",
        request=DocUpdateSerializer,
        responses={200: DocSerializer, 409: DocSerializer},
    )
    def patch(self, request, key, slug):
        doc = self.doc()
        data = DocUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            doc = services.doc_update(
                doc=doc,
                author=request.user,
                title=values.get("title"),
                body=values.get("body"),
                message=values.get("message", ""),
                version=values.get("version"),
            )
        except StaleVersion as stale:
            stale.current.project = doc.project
            raise Conflict(self.doc_data(stale.current)) from stale
        if "parent" in values or "position" in values:
            parent = self.parent_from(doc.project, values["parent"]) if "parent" in values else doc.parent
            doc = services.doc_move(doc=doc, parent=parent, position=values.get("position"))
        doc = Doc.objects.select_related("parent", "updated_by").get(pk=doc.pk)
        doc.project = self.get_project()
        return Response(self.doc_data(doc))

    @extend_schema(operation_id="docs_destroy", responses={204: None})
    def delete(self, request, key, slug):
        services.doc_trash(doc=self.doc(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocPreview(ProjectScopedAPIView):
    """What a body would look like as a page, without saving it (the editor's preview)."""

    serializer_class = DocPreviewSerializer

    @extend_schema(
        operation_id="docs_preview", request=DocPreviewSerializer, responses={200: DocPreviewResultSerializer}
    )
    def post(self, request, key):
        project = self.get_project()
        data = DocPreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body, limit = data.validated_data["body"], text_limit("docs_hub.Doc", "body")
        if len(body) > limit:  # a page could not hold it: say so, as a save would
            message = f"A page holds at most {limit:,} characters; this text has {len(body):,}."
            raise ValidationError({"body": [message]})
        rendered = render_doc(project=project, body=body)
        html = macros.fill(rendered.html, rendered.macros, macros.resolve(project, rendered.macros))
        return Response({"html": html, "toc": rendered.toc_html})


class DocRevisionList(DocsBase):
    serializer_class = DocRevisionSerializer

    @extend_schema(operation_id="docs_revisions_list", responses=DocRevisionSerializer(many=True))
    def get(self, request, key, slug):
        page = self.paginate_queryset(selectors.doc_revisions(doc=self.doc()))
        return self.get_paginated_response(DocRevisionSerializer(page, many=True).data)


class DocRevisionDetail(DocsBase):
    serializer_class = DocRevisionDetailSerializer

    @extend_schema(operation_id="docs_revisions_retrieve", responses=DocRevisionDetailSerializer)
    def get(self, request, key, slug, version):
        revision = selectors.revision_get(doc=self.doc(), version=version)
        if revision is None:
            raise Http404
        return Response(DocRevisionDetailSerializer(revision).data)


class DocRevisionRestore(DocsBase):
    @extend_schema(operation_id="docs_revisions_restore", request=None, responses={200: DocSerializer})
    def post(self, request, key, slug, version):
        doc = self.doc()
        if selectors.revision_get(doc=doc, version=version) is None:
            raise Http404
        doc = services.doc_revision_restore(doc=doc, version=version, author=request.user)
        doc.project = self.get_project()
        return Response(self.doc_data(doc))


class DocTrashList(ProjectScopedAPIView):
    serializer_class = TrashedDocSerializer

    @extend_schema(operation_id="docs_trash_list", responses=TrashedDocSerializer(many=True))
    def get(self, request, key):
        page = self.paginate_queryset(selectors.trash_list(project=self.get_project()))
        return self.get_paginated_response(TrashedDocSerializer(page, many=True).data)


class DocTrashRestore(DocsBase):
    """Admins take a page (and what was trashed with it) out of the trash."""

    write_action = Action.ADMIN

    @extend_schema(operation_id="docs_trash_restore", request=None, responses={200: DocSerializer})
    def post(self, request, key, doc_id):
        project = self.get_project()
        doc = selectors.trash_list(project=project).filter(pk=doc_id).first()
        if doc is None:
            raise Http404
        doc = services.doc_restore(doc=doc, user=request.user)
        doc.project = project
        return Response(self.doc_data(doc))


class DocTrashPurge(ProjectScopedAPIView):
    """Admins delete a trashed page for good (its revisions and files go with it)."""

    write_action = Action.ADMIN

    @extend_schema(operation_id="docs_trash_purge", responses={204: None})
    def delete(self, request, key, doc_id):
        doc = selectors.trash_list(project=self.get_project()).filter(pk=doc_id).first()
        if doc is None:
            raise Http404
        services.doc_purge(doc=doc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocTemplateList(ProjectScopedAPIView):
    """The built-in page templates and the project's own; admins add their own."""

    serializer_class = DocTemplateSerializer
    write_action = Action.ADMIN

    @extend_schema(operation_id="docs_templates_list", responses=DocTemplateSerializer(many=True))
    def get(self, request, key):
        templates = selectors.template_catalog(project=self.get_project())
        return self.get_paginated_response(DocTemplateSerializer(self.paginate_queryset(templates), many=True).data)

    @extend_schema(
        operation_id="docs_templates_create",
        request=DocTemplateWriteSerializer,
        responses={201: DocTemplateSerializer},
    )
    def post(self, request, key):
        data = DocTemplateWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = services.doc_template_create(
            project=self.get_project(), created_by=request.user, **data.validated_data
        )
        body = {"slug": template.slug, "name": template.name, "description": template.description}
        body |= {"body": template.body, "builtin": False}
        return Response(DocTemplateSerializer(body).data, status=status.HTTP_201_CREATED)


class DocTemplateDetail(ProjectScopedAPIView):
    """Admins delete one of the project's own templates (built-in ones stay)."""

    serializer_class = DocTemplateSerializer
    write_action = Action.ADMIN

    @extend_schema(operation_id="docs_templates_destroy", responses={204: None})
    def delete(self, request, key, template_slug):
        template = DocTemplate.objects.filter(project=self.get_project(), slug=template_slug).first()
        if template is None:
            raise Http404
        services.doc_template_delete(template=template)
        return Response(status=status.HTTP_204_NO_CONTENT)


class Search(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = SearchResultsSerializer

    @extend_schema(
        operation_id="search",
        parameters=[
            OpenApiParameter("q", str, required=True, description="Words to find (web search syntax)."),
            OpenApiParameter("project", str, required=False, description="A project key to search in."),
        ],
        responses=SearchResultsSerializer,
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        project = None
        if params.validated_data.get("project"):
            project = projects_for(request.user).filter(key=params.validated_data["project"].upper()).first()
            if project is None:
                raise Http404
        hits = search(user=request.user, query=params.validated_data["q"], project=project, limit=50)
        return Response({"results": [hit.as_dict() for hit in hits]})


class StatusReportListCreate(ProjectScopedAPIView):
    """The project's latest status reports (GET, viewers too: the 50 newest, one list, not
    paged); POST writes one now (members and admins: "Generate now")."""

    serializer_class = StatusReportSerializer
    pagination_class = None  # the schema then documents the plain list the view answers

    @extend_schema(operation_id="status_reports_list", responses=StatusReportSerializer(many=True))
    def get(self, request, key):
        project = self.get_project()
        reports = selectors.status_reports(project=project, limit=50)
        return Response(StatusReportSerializer(reports, many=True, context={"project_key": project.key}).data)

    @extend_schema(operation_id="status_reports_create", request=None, responses={201: StatusReportSerializer})
    def post(self, request, key):
        project = self.get_project()
        report = services.status_report_generate(project=project, user=request.user)
        data = StatusReportSerializer(report, context={"project_key": project.key}).data
        return Response(data, status=status.HTTP_201_CREATED)

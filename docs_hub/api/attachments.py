"""A page's attachments over REST: list, upload (multipart), read one, download its
content, delete. Members upload and delete, viewers read; the same checks as the page's
upload form (docs_hub.services.attachment_add: size limit, allowed types, content sniffed)."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from .. import selectors, services
from ..models import DocAttachment
from .serializers import AttachmentSerializer, AttachmentUploadSerializer
from .views import DocsBase


class AttachmentsBase(DocsBase):
    serializer_class = AttachmentSerializer

    def context(self) -> dict:
        return {"key": self.kwargs["key"], "slug": self.kwargs["slug"]}

    def attachment(self) -> tuple:
        doc = self.doc()
        attachment = DocAttachment.objects.filter(doc=doc, pk=self.kwargs["attachment_id"]).first()
        if attachment is None:
            raise Http404
        return doc, attachment


class AttachmentListCreate(AttachmentsBase):
    parser_classes = [MultiPartParser]

    @extend_schema(operation_id="docs_attachments_list", responses=AttachmentSerializer(many=True))
    def get(self, request, key, slug):
        page = self.paginate_queryset(selectors.doc_attachments(doc=self.doc()))
        return self.get_paginated_response(AttachmentSerializer(page, many=True, context=self.context()).data)

    @extend_schema(
        operation_id="docs_attachments_create",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    def post(self, request, key, slug):
        doc = self.doc()
        data = AttachmentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attachment_add(doc=doc, uploaded_file=data.validated_data["file"], user=request.user)
        return Response(AttachmentSerializer(attachment, context=self.context()).data, status=status.HTTP_201_CREATED)


class AttachmentDetail(AttachmentsBase):
    @extend_schema(operation_id="docs_attachments_retrieve", responses=AttachmentSerializer)
    def get(self, request, key, slug, attachment_id):
        _, attachment = self.attachment()
        return Response(AttachmentSerializer(attachment, context=self.context()).data)

    @extend_schema(operation_id="docs_attachments_destroy", responses={204: None})
    def delete(self, request, key, slug, attachment_id):
        _, attachment = self.attachment()
        services.attachment_delete(attachment=attachment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentContent(AttachmentsBase):
    @extend_schema(
        operation_id="docs_attachments_content",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, with its own content type."),
        },
    )
    def get(self, request, key, slug, attachment_id):
        _, attachment = self.attachment()
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as missing:
            raise Http404 from missing
        response = FileResponse(
            handle,
            content_type=attachment.content_type,
            as_attachment=not attachment.is_image,
            filename=attachment.name,
        )
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return response

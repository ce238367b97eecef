"""Shapes only: the services hold the rules."""

from rest_framework import serializers

from ..links import doc_url
from ..models import Doc, DocAttachment, DocRevision, StatusReport
from ..selectors import revision_html


class DocSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    html = serializers.SerializerMethodField()
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Doc
        fields = [
            "slug",
            "title",
            "body",
            "html",
            "parent",
            "position",
            "version",
            "url",
            "updated_by",
            "created_at",
            "updated_at",
        ]

    def get_html(self, doc) -> str:
        # Filled by the view for the whole page of docs at once (macros resolved in bulk).
        return self.context.get("html", {}).get(doc.id, doc.body_html)

    def get_url(self, doc) -> str:
        return doc_url(doc.project.key, doc.slug)


class DocCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    parent = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, default=None, help_text="Slug of the parent page."
    )
    template = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Slug of a template (built in: project-charter, data-requirements, "
        "model-card, experiment-report, deployment-spec, post-incident-review).",
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class DocUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    body = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    parent = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Slug of the new parent page, or null for the top level.",
    )
    position = serializers.IntegerField(required=False, min_value=0)


class DocRevisionSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DocRevision
        fields = ["version", "title", "author", "message", "created_at"]


class DocRevisionDetailSerializer(DocRevisionSerializer):
    html = serializers.SerializerMethodField()

    class Meta(DocRevisionSerializer.Meta):
        fields = [*DocRevisionSerializer.Meta.fields, "body", "html", "macro_values"]

    def get_html(self, revision) -> str:
        return revision_html(revision=revision)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200)
    project = serializers.CharField(required=False, max_length=10)


class SearchHitSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["ticket", "doc", "run"])
    title = serializers.CharField()
    url = serializers.CharField()
    project = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML: escaped text, matches in <mark>.")
    key = serializers.CharField(required=False)


class SearchResultsSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)


class TrashedDocSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    deleted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Doc
        fields = ["id", "slug", "title", "parent", "version", "deleted_at", "deleted_by"]


class DocTemplateSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    body = serializers.CharField()
    builtin = serializers.BooleanField()


class DocPreviewSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, help_text="Markdown, as a page body.")


class DocPreviewResultSerializer(serializers.Serializer):
    html = serializers.CharField(help_text="Rendered and sanitized, macros filled with current values.")
    toc = serializers.CharField(help_text="The table of contents of its headings (HTML).")


class DocTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    body = serializers.CharField(help_text="Markdown the new page starts with.")


class AttachmentSerializer(serializers.ModelSerializer):
    """A file attached to a page. `url` serves it to members (signed-in session or token)."""

    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = DocAttachment
        fields = ["id", "name", "content_type", "size", "uploaded_by", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        key, slug = self.context["key"], self.context["slug"]
        return f"/api/v1/projects/{key}/docs/{slug}/attachments/{attachment.id}/content/"


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="Images (PNG, JPEG, GIF, WebP), PDF, ZIP, text, CSV, Markdown or JSON, "
        "up to DOCS_ATTACHMENT_MAX_BYTES (10 MB by default)."
    )


class StatusReportSerializer(serializers.Serializer):
    """A status report: its page (title, slug, url), when and why it was written, and the
    figures it showed (frozen: the same numbers as the page's text)."""

    id = serializers.IntegerField()
    title = serializers.CharField(source="doc.title", default=None)
    slug = serializers.CharField(source="doc.slug", default=None)
    url = serializers.SerializerMethodField()
    period = serializers.DateField(allow_null=True)
    trigger = serializers.ChoiceField(
        choices=StatusReport.Trigger.choices, help_text="scheduled (the weekly beat) or manual (Generate now)."
    )
    generated_at = serializers.DateTimeField()
    figures = serializers.JSONField(
        help_text="The numbers the page shows: health, sprint, targets, gates, gates_passed, gates_failed, "
        "risks_opened, risks_closed, next."
    )

    def get_url(self, report) -> str | None:
        return doc_url(self.context["project_key"], report.doc.slug) if report.doc else None

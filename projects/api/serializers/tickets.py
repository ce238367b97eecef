"""Serializers of the tickets API: a ticket as the contract describes it, its writes, comments."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ... import hooks
from ...models import (
    Comment,
    Priority,
    Ticket,
    TicketType,
)
from ...ticket_links import ticket_url_parts


class BacklinkSerializer(serializers.Serializer):
    type = serializers.CharField()
    slug = serializers.CharField(required=False)
    title = serializers.CharField()
    url = serializers.CharField(required=False)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as the contract describes it. Build it with ticket_json, which puts the
    backlinks of all its tickets in the context (one call for a whole page), so no ticket
    asks for its own."""

    project = serializers.CharField(source="project.key", read_only=True)
    status = serializers.CharField(source="status.slug", read_only=True)
    status_name = serializers.CharField(source="status.name", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None, allow_null=True)
    reporter = serializers.CharField(source="reporter.username", read_only=True, default=None, allow_null=True)
    labels = serializers.SerializerMethodField()
    sprint = serializers.IntegerField(source="sprint_id", read_only=True, allow_null=True)
    parent = serializers.CharField(source="parent.key", read_only=True, default=None, allow_null=True)
    backlinks = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = (
            "key",
            "project",
            "number",
            "title",
            "description",
            "description_html",
            "type",
            "status",
            "status_name",
            "priority",
            "assignee",
            "reporter",
            "estimate",
            "labels",
            "sprint",
            "due_date",
            "parent",
            "acceptance_criteria",
            "acceptance_criteria_html",
            "custom_fields",
            "alert_fingerprint",
            "rank",
            "version",
            "finished_at",
            "created_at",
            "updated_at",
            "backlinks",
            "url",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_labels(self, ticket) -> list[str]:
        return sorted(label.name for label in ticket.labels.all())  # prefetched

    @extend_schema_field(BacklinkSerializer(many=True))
    def get_backlinks(self, ticket) -> list[dict]:
        return [dict(item) for item in self.context["backlinks"].get(ticket.pk, [])]

    def get_url(self, ticket) -> str:
        # The ticket page URL around its key, reversed once per project per response.
        parts = self.context.setdefault("url_parts", {})
        project_key = ticket.project.key
        if project_key not in parts:
            prefix, suffix = ticket_url_parts(project_key)
            request = self.context.get("request")
            parts[project_key] = (request.build_absolute_uri(prefix) if request else prefix), suffix
        prefix, suffix = parts[project_key]
        return f"{prefix}{ticket.key}{suffix}"


class TicketWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    status = serializers.CharField(required=False, help_text="A status slug of the project's workflow.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="A member's username, or null."
    )
    estimate = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=1000)
    labels = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    sprint = serializers.IntegerField(required=False, allow_null=True, help_text="A sprint id, or null.")
    due_date = serializers.DateField(required=False, allow_null=True)
    parent = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="A ticket key.")
    acceptance_criteria = serializers.CharField(required=False, allow_blank=True)
    custom_fields = serializers.DictField(required=False, help_text="Values by custom field key; null clears one.")


class TicketPatchSerializer(TicketWriteSerializer):
    title = serializers.CharField(max_length=255, required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version this change is based on; a stale one answers 409."
    )
    override_reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Admins only: move into a finished status despite its checks."
    )


def ticket_json(tickets, *, request, many=False):
    items = list(tickets) if many else [tickets]
    context = {"request": request, "backlinks": hooks.backlinks_for([t.pk for t in items])}
    return TicketSerializer(items if many else tickets, many=many, context=context).data


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = ("id", "author", "body", "body_html", "created_at", "updated_at")
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(help_text="Markdown; @username mentions notify project members.")


class TicketBulkSerializer(serializers.Serializer):
    """The backlog's multi-select: move the tickets into a sprint, or set one field on each."""

    tickets = serializers.ListField(
        child=serializers.CharField(max_length=24), min_length=1, max_length=500, help_text="Ticket keys."
    )
    sprint = serializers.CharField(
        required=False, max_length=20, help_text='A sprint id, or "backlog": move the tickets there.'
    )
    field = serializers.ChoiceField(
        choices=["priority", "assignee", "status", "type"], required=False, help_text="The field to set on each."
    )
    value = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=150, help_text="Its value (null: unassigned)."
    )

    def validate(self, attrs):
        if ("sprint" in attrs) == ("field" in attrs):
            raise serializers.ValidationError({"non_field_errors": ["Send either `sprint` or `field` and `value`."]})
        return attrs


class TicketBulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many tickets changed.")
    refused = serializers.ListField(child=serializers.CharField(), help_text='"KEY: reason" for each refusal.')

from rest_framework import serializers

from ..models import EVENTS, Delivery, DeliveryAttempt, ImportJob, Webhook

EVENT_CHOICES = ["*", *EVENTS]


class WebhookSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.key", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))

    class Meta:
        model = Webhook
        fields = ("id", "project", "url", "events", "active", "created_at")
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to a creation: the only time the secret is shown."""

    class Meta(WebhookSerializer.Meta):
        fields = (*WebhookSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1)
    secret = serializers.CharField(max_length=200, min_length=16, required=False, allow_blank=False)
    active = serializers.BooleanField(required=False, default=True)


class WebhookPatchSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, required=False)
    secret = serializers.CharField(max_length=200, min_length=16, required=False, allow_blank=False)
    active = serializers.BooleanField(required=False)


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ("number", "status_code", "error", "duration_ms", "retry_in_seconds", "created_at")
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(read_only=True)
    success = serializers.BooleanField(read_only=True)
    request_body = serializers.CharField(source="body", read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)
    redelivery_of = serializers.IntegerField(source="redelivery_of_id", read_only=True, allow_null=True)

    class Meta:
        model = Delivery
        fields = (
            "id",
            "event_id",
            "event",
            "status",
            "status_code",
            "success",
            "attempts",
            "duration_ms",
            "error",
            "next_attempt_at",
            "created_at",
            "redelivery_of",
            "request_body",
            "attempt_log",
        )
        read_only_fields = fields


class ImportJobSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.key", read_only=True, default=None)

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "kind",
            "status",
            "project",
            "file_name",
            "total",
            "processed",
            "created",
            "updated",
            "errors",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields

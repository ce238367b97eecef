"""Serializers of in-app notifications."""

from rest_framework import serializers


class NotificationSerializer(serializers.Serializer):
    """An in-app notification: `kind` is mention, assigned or added; `ticket` and `project`
    say what it is about."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    project = serializers.SerializerMethodField()
    ticket = serializers.CharField(source="ticket.key", default=None, allow_null=True)
    excerpt = serializers.CharField()
    read = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_project(self, notification) -> str | None:
        project = notification.ticket.project if notification.ticket_id else notification.project
        return project.key if project else None

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationsReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="The notifications to mark read; without it, all of them.",
    )


class NotificationsReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are read now.")

"""Outbound webhooks: a project's subscriptions and the log of every delivery attempt."""

from django.conf import settings
from django.db import models

from projects.models import Project

# The events a hook can subscribe to ("*" subscribes to all of them).
EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.moved",
    "ticket.deleted",
    "comment.added",
    "sprint.started",
    "sprint.completed",
    "doc.created",
    "doc.updated",
    "run.linked",
    "run.unlinked",
    "sync.failed",
)
TEST_EVENT = "webhook.test"
MAX_ATTEMPTS = 5


class Webhook(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)  # event names, or ["*"]
    # Kept in the clear: an HMAC key must be known to sign (a hash of it could not sign).
    secret = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.url}"

    def wants(self, event: str) -> bool:
        return self.active and ("*" in self.events or event in self.events)


class Delivery(models.Model):
    """One event sent (or to be sent) to one hook; `body` is exactly what is signed and sent,
    so a redelivery sends the same bytes (with a new timestamp and signature)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        OK = "ok", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    redelivery_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["webhook", "-created_at"], name="webhook_delivery_recent")]

    def __str__(self) -> str:
        return f"{self.event} -> {self.webhook_id} ({self.status})"

    @property
    def success(self) -> bool:
        return self.status == self.Status.OK


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what came back (or why nothing did) and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    timestamp = models.BigIntegerField()  # the X-AIHub-Timestamp sent
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    retry_in_seconds = models.FloatField(null=True, blank=True)  # the backoff before the next try
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"

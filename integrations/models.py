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
    "gate.passed",
    "gate.failed",
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


# --- Alertmanager intake (integrations/alerts.py): a project's endpoint, the alerts it tracks
# and the log of every payload it received.


class AlertIntake(models.Model):
    """A project's Alertmanager receiver. Only the token's SHA-256 is kept; the raw token is
    shown once, when it is (re)generated."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="alert_intake")
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=12, blank=True)
    # A repeat of a still-firing alert adds one comment when this many minutes passed since
    # the last one (0: a repeat adds nothing).
    repeat_comment_minutes = models.PositiveIntegerField(
        "Comment on repeats after (minutes)",
        default=60,
        help_text="A still-firing alert sent again adds a comment at most this often; 0 adds none.",
    )
    # Where a resolved alert moves its ticket (a workflow status slug; empty: stays put).
    resolve_status = models.CharField("Move resolved alerts to", max_length=50, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    token_rotated_at = models.DateTimeField(null=True, blank=True)
    received = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"alert intake of {self.project_id}"


class AlertTicket(models.Model):
    """One alert (by Alertmanager fingerprint) and the ticket it made: never two tickets
    for one fingerprint in a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    ticket = models.ForeignKey("projects.Ticket", on_delete=models.CASCADE, related_name="+")
    firing = models.BooleanField(default=True)
    starts_at = models.CharField(max_length=40, blank=True)
    last_seen_at = models.DateTimeField()
    last_comment_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "fingerprint"], name="unique_alert_fingerprint")]

    def __str__(self) -> str:
        return f"{self.fingerprint} -> {self.ticket_id}"


class AlertDelivery(models.Model):
    """One payload the intake received: accepted or refused, and why."""

    intake = models.ForeignKey(AlertIntake, on_delete=models.CASCADE, related_name="deliveries")
    accepted = models.BooleanField()
    error = models.TextField(blank=True)
    group_key = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, blank=True)
    alerts = models.PositiveIntegerField(default=0)
    created_tickets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["intake", "-created_at"], name="alert_delivery_recent")]

    def __str__(self) -> str:
        return f"{self.intake_id} {'ok' if self.accepted else 'refused'}"


# --- Imports (Jira CSV, Markdown zip, project archive): one job per upload, run by Celery,
# with its progress and outcome readable at GET /api/v1/imports/{id}/.


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        JIRA = "jira", "Jira CSV"
        MARKDOWN = "markdown", "Markdown zip"
        PROJECT = "project", "Project archive"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        ERROR = "error", "Error"

    # Null until a project archive's import has created its project.
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255, blank=True)
    options = models.JSONField(default=dict, blank=True)  # the choices made on the preview
    total = models.PositiveIntegerField(default=0)  # rows, files or objects to import
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # messages a user can act on
    result = models.JSONField(default=dict, blank=True)  # kind-specific summary
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.ERROR)

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = self.label.replace(".", " ").replace("_", " ").split()
        return "".join(p[0] for p in parts[:2]).upper() or self.username[:2].upper()


class ApiToken(models.Model):
    """A personal access token. Only its SHA-256 is stored; the raw token is shown once."""

    PREFIX = "aih_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def hash(raw: str) -> str:
        # Tokens carry 256 random bits, so a fast hash is enough (as GitHub does).
        return hashlib.sha256(raw.encode()).hexdigest()


class AuditEntry(models.Model):
    """One write that the app carried out (a POST, PUT, PATCH or DELETE answered 2xx/3xx),
    recorded by `accounts.audit.AuditMiddleware` with one INSERT after the response.

    Never holds a request body, a header or a secret: who, which token (by id and name),
    from which address, which route and object, which project, and the outcome. The project
    is an integer id and its key (accounts imports no domain app), noted when the request
    resolved it through `projects.access`."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    token = models.ForeignKey(ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token_name = models.CharField(max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    route = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60, blank=True)
    object_key = models.CharField(max_length=200, blank=True)
    project_id = models.BigIntegerField(null=True, blank=True)
    project_key = models.CharField(max_length=10, blank=True)
    status_code = models.PositiveSmallIntegerField()
    request_id = models.CharField(max_length=64, blank=True)
    via_api = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project_id", "-created_at"], name="audit_project_created")]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{when} {self.username or '-'} {self.action} {self.object_type} {self.object_key}"

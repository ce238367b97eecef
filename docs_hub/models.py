"""Docs: pages in a tree per project, every save a revision, links to pages and tickets
kept in tables so backlinks are one query, attachments served only to members."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.functional import LazyObject

from projects.models import Project

# Slugs the URLs use for their own pages: a doc never takes one of these.
RESERVED_SLUGS = frozenset(
    {
        "new",
        "trash",
        "templates",
        "attachments",
        "export",
        "export.zip",
        "preview",
        "search",
        "ticket-panel",
        "hub-section",
        "tree",
    }
)


class _AttachmentStorage(LazyObject):
    """Files live outside MEDIA_ROOT, so no public URL ever serves them: only the
    attachment view does, after checking membership."""

    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.DOCS_ATTACHMENT_ROOT, base_url=None)


attachment_storage = _AttachmentStorage()


def get_attachment_storage():
    # A callable, so migrations name this function instead of a machine's path.
    return attachment_storage


class Doc(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="docs")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    body = models.TextField(blank=True)
    # Sanitized HTML of the body; live macros are placeholders filled when shown.
    body_html = models.TextField(blank=True, editable=False)
    toc_html = models.TextField(blank=True, editable=False)
    # The macros of the body, in placeholder order: [{"kind", "arg", "options", "source"}].
    macros = models.JSONField(default=list, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # In the trash since then (with its subtree, which shares the timestamp); null = alive.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where a Markdown zip import took this page from ("guides/setup.md", "guides/" for a
    # folder's own page): importing the same zip under the same parent updates it.
    import_path = models.CharField(max_length=500, blank=True, default="", editable=False)

    class Meta:
        ordering = ["position", "title", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "slug"], name="unique_doc_slug")]
        indexes = [
            models.Index(fields=["project", "parent", "position"], name="doc_tree_order"),
            models.Index(fields=["project", "-updated_at"], name="doc_recent"),
            models.Index(fields=["project", "import_path"], condition=~Q(import_path=""), name="doc_import_path"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


class DocSlugAlias(models.Model):
    """An old slug of a renamed doc: its URL redirects to the doc's current slug."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    doc = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name="aliases")
    slug = models.SlugField(max_length=220)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "slug"], name="unique_doc_alias")]

    def __str__(self) -> str:
        return f"{self.slug} -> doc {self.doc_id}"


class DocRevision(models.Model):
    """One save. `macro_values` keeps what each live macro showed at that moment, so the
    revision renders exactly as the team saw it."""

    doc = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    toc_html = models.TextField(blank=True)
    macros = models.JSONField(default=list, blank=True)
    macro_values = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["doc", "version"], name="unique_doc_revision")]

    def __str__(self) -> str:
        return f"{self.doc_id} v{self.version}"


class DocLink(models.Model):
    """`[[Title]]` in a doc. `target` is null while no page has that title (a "create this
    page" link); `target_text` keeps what was written so creating the page resolves it."""

    source = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name="outgoing_links")
    target = models.ForeignKey(Doc, null=True, blank=True, on_delete=models.SET_NULL, related_name="incoming_links")
    target_text = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target_text"], name="unique_doc_link")]
        indexes = [models.Index(fields=["target"], name="doc_link_target")]

    def __str__(self) -> str:
        return f"doc {self.source_id} -> [[{self.target_text}]]"


class DocTicketLink(models.Model):
    """A ticket key of the doc's own project (plain or in a ticket macro). Kept by key, so
    a doc that names a ticket before it exists becomes its backlink once it is created."""

    doc = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name="ticket_links")
    ticket_key = models.CharField(max_length=24)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["doc", "ticket_key"], name="unique_doc_ticket_key")]
        indexes = [models.Index(fields=["ticket_key"], name="doc_ticket_link_key")]

    def __str__(self) -> str:
        return f"doc {self.doc_id} -> {self.ticket_key}"


class DocTemplate(models.Model):
    """A project's own template for new pages (built-in ones live in code)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="doc_templates")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "slug"], name="unique_doc_template_slug")]

    def __str__(self) -> str:
        return self.name


def attachment_path(instance, filename: str) -> str:
    return f"{instance.doc.project_id}/{instance.doc_id}/{filename}"


class DocAttachment(models.Model):
    doc = models.ForeignKey(Doc, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, storage=get_attachment_storage, max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


Q_ALIVE = Q(deleted_at__isnull=True)


class StatusReport(models.Model):
    """A status report written into the docs (docs_hub/reports.py): the page it wrote and the
    figures it showed, which the next report compares with ("since the last report"). A
    scheduled report names its `period` (the date, UTC, of the weekly slot it is for): one per
    project and period, however often the beat fires or however many workers run it.
    "Generate now" reports have no period."""

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        MANUAL = "manual", "Generate now"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_reports")
    doc = models.ForeignKey(Doc, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    period = models.DateField(null=True, blank=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField()
    # What the report showed: {"health", "sprint", "targets", "gates", ...} (reports.py).
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-generated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period"], condition=Q(period__isnull=False), name="unique_status_report_period"
            )
        ]
        indexes = [models.Index(fields=["project", "-generated_at"], name="status_report_recent")]

    def __str__(self) -> str:
        return f"Status report of {self.project_id} at {self.generated_at:%Y-%m-%d %H:%M}"

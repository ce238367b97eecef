import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTransform

PROJECT_KEY_PATTERN = r"[A-Z][A-Z0-9]{1,9}"
project_key_validator = RegexValidator(
    rf"^{PROJECT_KEY_PATTERN}$",
    "A key is 2 to 10 capital letters or digits, starting with a letter (e.g. CV or NLP2).",
)


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class Phase(models.TextChoices):
    DEFINE = "define", "Define"
    PLAN = "plan", "Plan"
    DATA = "data", "Data"
    DEVELOP = "develop", "Develop"
    DEPLOY = "deploy", "Deploy"
    MAINTAIN = "maintain", "Maintain"


class BoardMode(models.TextChoices):
    SCRUM = "scrum", "Scrum (sprints)"
    KANBAN = "kanban", "Kanban (continuous flow)"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Project(models.Model):
    key = models.CharField(max_length=10, unique=True, validators=[project_key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    objectives = models.TextField(blank=True, help_text="Markdown: what success looks like.")
    objectives_html = models.TextField(blank=True, editable=False)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.DEFINE)
    board_mode = models.CharField(max_length=16, choices=BoardMode.choices, default=BoardMode.SCRUM)
    # Health thresholds (projects/health.py) and the forecast's history window.
    health_burndown_behind_pct = models.PositiveSmallIntegerField(
        "Burndown behind (%)",
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="At risk when the active sprint's remaining points are above the ideal line by more than "
        "this share of its committed points; off track at twice that.",
    )
    health_blocked_days = models.PositiveSmallIntegerField(
        "Blocked for (days)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="At risk when an open ticket has been blocked by an open ticket for more than this many days.",
    )
    health_target_days = models.PositiveSmallIntegerField(
        "Target deadline near (days)",
        default=14,
        validators=[MaxValueValidator(365)],
        help_text="At risk when a target is not met this many days or fewer before its deadline; off track "
        "once the deadline has passed.",
    )
    health_high_risks_off_track = models.PositiveSmallIntegerField(
        "Open high risks for off track",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="One open high risk is at risk; this many is off track.",
    )
    health_sync_stale_hours = models.PositiveSmallIntegerField(
        "MLflow sync stale after (hours)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text="At risk when a source's last sync failed or its last good sync is older than this.",
    )
    forecast_weeks = models.PositiveSmallIntegerField(
        "Forecast history (weeks)",
        default=8,
        validators=[MinValueValidator(2), MaxValueValidator(52)],
        help_text="How many weeks of finished tickets the forecast samples its daily throughput from.",
    )
    # The weekly status report (docs_hub/reports.py writes it under the docs page "Status reports"):
    # on or off, and the weekday and time it is due, in UTC.
    status_report_enabled = models.BooleanField(
        "Weekly status report",
        default=False,
        help_text="Write a status report into the docs every week, under the page “Status reports”.",
    )
    status_report_weekday = models.PositiveSmallIntegerField(
        "Report day", choices=Weekday.choices, default=Weekday.MONDAY
    )
    status_report_time = models.TimeField(
        "Report time (UTC)", default=datetime.time(9, 0), help_text="Hours and minutes, in UTC, e.g. 09:00."
    )
    # The last ticket number handed out; bumped under a row lock so keys are never reused.
    ticket_counter = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"


# The weekly status report's settings (fields of Project, edited on the settings page and
# in the project API; docs_hub writes the report).
STATUS_REPORT_SETTINGS = ("status_report_enabled", "status_report_weekday", "status_report_time")


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="unique_membership")]
        ordering = ["project", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.project.key} as {self.role}"


class WorkflowStatus(models.Model):
    """One column of a project's workflow, in order."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="statuses")
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    is_finished = models.BooleanField(default=False)
    wip_limit = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["project", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "slug"], name="unique_status_slug")]
        verbose_name_plural = "workflow statuses"

    def __str__(self) -> str:
        return self.name


DEFAULT_WORKFLOW = (
    ("todo", "To do", False),
    ("in_progress", "In progress", False),
    ("in_review", "In review", False),
    ("done", "Done", True),
)


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#6b7280")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_label_name")]

    def __str__(self) -> str:
        return self.name


class SprintState(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"


class Sprint(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sprints")
    name = models.CharField(max_length=100)
    goal = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Story points the team can take.")
    state = models.CharField(max_length=10, choices=SprintState.choices, default=SprintState.PLANNED)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="sprint_ends_after_start"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(state="active"), name="one_active_sprint_per_project"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def can_start(self) -> bool:
        return self.state == SprintState.PLANNED

    def can_complete(self) -> bool:
        return self.state == SprintState.ACTIVE


class TicketType(models.TextChoices):
    EPIC = "epic", "Epic"  # a large piece of work; its children (parent=the epic) are its stories
    STORY = "story", "Story"
    TASK = "task", "Task"
    BUG = "bug", "Bug"
    EXPERIMENT = "experiment", "Experiment"
    SPIKE = "spike", "Spike"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Ticket(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tickets")
    number = models.PositiveIntegerField()
    key = models.CharField(max_length=24, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True, editable=False)
    type = models.CharField(max_length=12, choices=TicketType.choices, default=TicketType.TASK)
    status = models.ForeignKey(WorkflowStatus, on_delete=models.PROTECT, related_name="tickets")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_tickets"
    )
    estimate = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Story points.")
    labels = models.ManyToManyField(Label, blank=True, related_name="tickets")
    sprint = models.ForeignKey(Sprint, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    due_date = models.DateField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    acceptance_criteria = models.TextField(blank=True)
    acceptance_criteria_html = models.TextField(blank=True, editable=False)
    # Order on the board and in the backlog: sparse integers, so a move writes one row.
    rank = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    custom_fields = models.JSONField(default=dict, blank=True)
    # The Alertmanager fingerprint of the alert that opened this ticket (integrations' alert intake).
    alert_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Where an imported ticket came from (a Jira key such as "ML-42"): a re-import updates it.
    external_ref = models.CharField(max_length=64, blank=True, default="", editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="unique_ticket_number"),
            models.UniqueConstraint(
                fields=["project", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="unique_ticket_external_ref",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status", "rank"], name="ticket_board_order"),
            models.Index(fields=["project", "sprint", "rank"], name="ticket_sprint_order"),
            # The backlog's default order (rank, id) over the whole project: the first page
            # reads 50 index entries instead of sorting every ticket.
            models.Index(fields=["project", "rank", "id"], name="ticket_backlog_order"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class TicketEvent(models.Model):
    """One line of a ticket's history: who changed what, when, from what to what."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed a field"
        MOVED = "moved", "Moved"
        COMMENTED = "commented", "Commented"
        GATE_OVERRIDE = "gate_override", "Overrode metric gates"
        SNAPSHOT = "snapshot", "Evidence snapshot"
        NOTE = "note", "Note"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    field = models.CharField(max_length=60, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="ticket_event_timeline"),
            # A sprint's history (selectors/sprints.py) finds the tickets moved in or out of
            # it by the sprint ids in the move's data, then their moves: through these, not
            # a scan of every project's history.
            models.Index(KeyTransform("old_id", "data"), condition=Q(field="sprint"), name="ticket_event_sprint_old"),
            models.Index(KeyTransform("new_id", "data"), condition=Q(field="sprint"), name="ticket_event_sprint_new"),
            models.Index(fields=["ticket"], condition=Q(field="sprint"), name="ticket_event_sprint_moves"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.field}"


class RelationKind(models.TextChoices):
    BLOCKS = "blocks", "blocks"
    RELATES_TO = "relates_to", "relates to"


class TicketRelation(models.Model):
    """A directed link between two tickets of a project. `source blocks target` reads, from
    the target's side, as "is blocked by source"; "relates to" is shown on both sides."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outgoing_relations")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="incoming_relations")
    kind = models.CharField(max_length=12, choices=RelationKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="unique_ticket_relation"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="relation_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket_comments"
    )
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_timeline")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.ticket_id}"


class Notification(models.Model):
    """An in-app notice for one user: a mention, an assignment, being added to a project.
    Unread until read_at. `project` is set on notices about a project itself (no ticket)."""

    class Kind(models.TextChoices):
        MENTION = "mention", "Mentioned you"
        ASSIGNED = "assigned", "Assigned to you"
        ADDED = "added", "Added you to a project"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    excerpt = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class CustomFieldType(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    SELECT = "select", "Select (one)"
    MULTI_SELECT = "multi_select", "Multi-select"
    CHECKBOX = "checkbox", "Checkbox"
    URL = "url", "URL"


custom_field_key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,39}$", "Lower-case letters, digits and underscores, starting with a letter."
)


class CustomField(models.Model):
    """A typed field a project adds to its tickets; values live in Ticket.custom_fields
    under `key`."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="custom_fields")
    key = models.CharField(max_length=40, validators=[custom_field_key_validator])
    name = models.CharField(max_length=60)
    field_type = models.CharField(max_length=12, choices=CustomFieldType.choices)
    options = models.JSONField(default=list, blank=True, help_text="Choices of a select or multi-select.")
    position = models.PositiveIntegerField(default=0)
    show_on_card = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="unique_custom_field_key")]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A named set of ticket filters; private to its owner or shared with the project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_views")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    filters = models.JSONField(default=dict, blank=True)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "owner", "name"], name="unique_saved_view_name")]

    def __str__(self) -> str:
        return self.name


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigating"
    CLOSED = "closed", "Closed"
    ACCEPTED = "accepted", "Accepted"


# Risks still in play: counted in the heat map by default and by the health rule "high risks
# open". Closed (gone) and accepted (the team lives with it) risks are not.
ACTIVE_RISK_STATUSES = (RiskStatus.OPEN, RiskStatus.MITIGATING)
# Likelihood and impact are each rated 1 (rare, negligible) to 5 (almost certain, severe).
RISK_SCALE = (1, 2, 3, 4, 5)
# A risk is "high" when likelihood x impact reaches this score (the top band of a 5 x 5
# matrix: 15, 16, 20 and 25; e.g. likelihood 3 and impact 5). Health counts open high risks.
HIGH_RISK_SCORE = 15


# The heat map's colour bands by score, highest first: (lowest score of the band, name).
RISK_BANDS = ((HIGH_RISK_SCORE, "high"), (10, "elevated"), (5, "medium"), (1, "low"))


def risk_band(score: int) -> str:
    """The band a score falls in: "high" (>= HIGH_RISK_SCORE), "elevated", "medium", "low"."""
    return next((name for lowest, name in RISK_BANDS if score >= lowest), "low")


def _risk_rating_constraint(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": RISK_SCALE[0], f"{field}__lte": RISK_SCALE[-1]}),
        name=f"risk_{field}_1_to_5",
    )


class Risk(models.Model):
    """An entry of a project's risk register. Its score (likelihood x impact) is derived,
    not stored: a project holds tens of risks, and selectors sort and filter on the
    expression (`risk_score_expression`) within the project's rows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    likelihood = models.PositiveSmallIntegerField(help_text="1 (rare) to 5 (almost certain).")
    impact = models.PositiveSmallIntegerField(help_text="1 (negligible) to 5 (severe).")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_risks"
    )
    mitigation = models.TextField(blank=True, help_text="What the team does about it.")
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    review_date = models.DateField(null=True, blank=True)
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="risks")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "-id"]
        constraints = [_risk_rating_constraint("likelihood"), _risk_rating_constraint("impact")]
        indexes = [models.Index(fields=["project", "status"], name="risk_register")]

    def __str__(self) -> str:
        return self.title

    @property
    def score(self) -> int:
        return (self.likelihood or 0) * (self.impact or 0)

    @property
    def is_high(self) -> bool:
        return self.score >= HIGH_RISK_SCORE

    @property
    def band(self) -> str:
        return risk_band(self.score)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RISK_STATUSES

    def review_overdue(self, today) -> bool:
        """An active risk whose review date has passed."""
        return self.is_active and self.review_date is not None and self.review_date < today


def risk_score_expression():
    """likelihood x impact in SQL, for sorting and filtering risks by score."""
    return models.ExpressionWrapper(models.F("likelihood") * models.F("impact"), output_field=models.IntegerField())


# --- Lifecycle: exit criteria per phase, phase transitions, milestones -------------------
# The phases in order (Phase's declaration order): a project advances through them.
PHASE_ORDER: tuple[str, ...] = tuple(Phase.values)


class ExitCriterion(models.Model):
    """One item of a phase's exit checklist: what must be true before the project leaves
    that phase. Members tick it (`done`, by whom and when); an admin advances the phase."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exit_criteria")
    phase = models.CharField(max_length=16, choices=Phase.choices)
    text = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "phase", "position", "id"]
        indexes = [models.Index(fields=["project", "phase", "position"], name="exit_criteria_checklist")]
        verbose_name_plural = "exit criteria"

    def __str__(self) -> str:
        return self.text


class PhaseTransition(models.Model):
    """A phase change of a project: who moved it, when, from and to which phase, the
    checklist as it stood (`checklist`: [{"id", "phase", "text", "done", "done_by",
    "done_at"}] of the phases it left), and the reason an admin gave for advancing past
    unticked criteria (`overridden`)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="phase_transitions")
    from_phase = models.CharField(max_length=16, choices=Phase.choices)
    to_phase = models.CharField(max_length=16, choices=Phase.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checklist = models.JSONField(default=list, blank=True)
    overridden = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="phase_transition_history")]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_phase} -> {self.to_phase}"

    @property
    def ticked_count(self) -> int:
        """How many criteria of the recorded checklist were ticked."""
        return sum(1 for item in self.checklist if item.get("done"))


class Milestone(models.Model):
    """A dated point on the project's roadmap (a release, a sign-off), with the epics that
    must be done for it. Completed when `completed_at` is set."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    due_date = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    epics = models.ManyToManyField(Ticket, blank=True, related_name="milestones")
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "due_date", "id"]
        indexes = [models.Index(fields=["project", "due_date"], name="milestone_roadmap")]

    def __str__(self) -> str:
        return self.name

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    def overdue(self, today) -> bool:
        return self.completed_at is None and self.due_date < today


class ProjectTemplate(models.Model):
    """A project's structure saved to start new projects from ("Save as template"): its
    workflow, labels, custom fields, epics with their starter tickets' titles and types, doc
    skeleton, target definitions and exit criteria, as JSON (`data`, the shape of
    `projects/templates_builtin.py`). Never its data: no comments, runs, history or values.
    Built-in templates live in code. Who may use one: its creator and the members of the
    project it was saved from, or everyone when staff marked it `shared`."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict)
    source_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="saved_templates"
    )
    shared = models.BooleanField(default=False, help_text="Everyone on this instance may use it (staff only).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

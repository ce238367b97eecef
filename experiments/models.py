"""MLflow evidence stored beside the work: sources, their experiments and runs (with full
metric histories), registered model versions, links from runs to tickets, metric gates
and the regression sentinel."""

import math

from django.conf import settings
from django.db import models
from django.utils import timezone

from projects.models import Project, Ticket


class MlflowSource(models.Model):
    """An MLflow tracking server (or the app's own local store) a project follows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="mlflow_sources")
    name = models.CharField(max_length=100, blank=True)
    tracking_uri = models.CharField(max_length=500)
    experiment_names = models.JSONField(default=list, help_text="Names of the MLflow experiments to follow.")
    username = models.CharField(max_length=200, blank=True)
    # A password or token, encrypted with a key derived from AIHUB_ENCRYPTION_KEY or SECRET_KEY.
    secret_encrypted = models.TextField(blank=True, editable=False)
    credentials_from_env = models.BooleanField(
        default=False,
        help_text="Use MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD / MLFLOW_TRACKING_TOKEN of the worker.",
    )
    enabled = models.BooleanField(default=True)
    fast_interval_seconds = models.PositiveIntegerField(default=300)
    reconcile_interval_seconds = models.PositiveIntegerField(default=3600)
    # The watermark: start of the last complete cycle (ms since epoch, AI Hub's clock).
    fast_watermark_ms = models.BigIntegerField(null=True, blank=True, editable=False)
    last_fast_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_full_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A lease so that one sync per source runs at a time, across workers and processes.
    lock_token = models.CharField(max_length=64, blank=True, editable=False)
    lock_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]

    def __str__(self) -> str:
        return self.name or self.tracking_uri

    @property
    def label(self) -> str:
        return self.name or self.tracking_uri


class Experiment(models.Model):
    source = models.ForeignKey(MlflowSource, on_delete=models.CASCADE, related_name="experiments")
    experiment_id = models.CharField(max_length=64)
    name = models.CharField(max_length=500)
    lifecycle_stage = models.CharField(max_length=16, default="active")
    artifact_location = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["source", "experiment_id"], name="unique_source_experiment")]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", "Running"
    SCHEDULED = "SCHEDULED", "Scheduled"
    FINISHED = "FINISHED", "Finished"
    FAILED = "FAILED", "Failed"
    KILLED = "KILLED", "Killed"


class Lifecycle(models.TextChoices):
    ACTIVE = "active", "Active"
    DELETED = "deleted", "Deleted"
    PURGED = "purged", "Purged"


class Run(models.Model):
    """One MLflow run as last synced. `metrics` holds the latest value of each metric
    (non-finite values as the strings "NaN", "Infinity", "-Infinity", as MLflow's REST API
    writes them); the full histories are MetricPoint rows."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    source = models.ForeignKey(MlflowSource, on_delete=models.CASCADE, related_name="runs")
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=64)
    name = models.CharField(max_length=500, blank=True)
    user_id = models.CharField(max_length=250, blank=True)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    artifact_uri = models.TextField(blank=True)
    lifecycle = models.CharField(max_length=8, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    deleted = models.BooleanField(default=False)
    purged = models.BooleanField(default=False)
    params = models.JSONField(default=dict)
    tags = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    # Per metric key "step:timestamp:value" of the latest point: which histories changed.
    metric_marks = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=40)
    # Values MLflow holds that this database cannot (NUL bytes, broken UTF-8), and why.
    rejected = models.JSONField(default=dict, blank=True)
    # The full reconcile that last saw this run (purge detection with bounded memory).
    seen_by_sync = models.BigIntegerField(null=True, blank=True)
    first_synced_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_time", "id"]
        constraints = [models.UniqueConstraint(fields=["source", "run_id"], name="unique_source_run")]
        indexes = [
            models.Index(fields=["project", "run_id"], name="run_project_run_id"),
            models.Index(fields=["experiment", "start_time"], name="run_experiment_start"),
            models.Index(fields=["source", "status"], name="run_source_status"),
            # An experiment's runs table in its default order (selectors.runs_sorted: newest first,
            # runs without a start last), live runs only: the first page reads 50 index entries.
            # project_id rides along (INCLUDE), so the table's capped count, scoped by project,
            # is an index-only scan.
            models.Index(
                models.F("experiment"),
                models.F("start_time").desc(nulls_last=True),
                models.F("id"),
                name="run_experiment_table_v2",
                condition=models.Q(deleted=False),
                include=("project",),
            ),
            # The fast loop's watch list (sync/cycles.py): a source's stored runs still running or
            # deleted, read on every cycle, a few among tens of thousands of finished runs.
            models.Index(
                fields=["source", "id"],
                name="run_fast_loop_watch",
                condition=models.Q(purged=False)
                & (models.Q(status__in=[RunStatus.RUNNING, RunStatus.SCHEDULED]) | models.Q(deleted=True)),
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.run_id

    @property
    def duration_seconds(self) -> float | None:
        if self.start_time and self.end_time:
            return max((self.end_time - self.start_time).total_seconds(), 0.0)
        return None

    @property
    def author(self) -> str:
        """Who ran it: the `mlflow.user` tag MLflow clients set, else the run's user id
        ("unknown", MLflow's placeholder, counts as none)."""
        tagged = (self.tags or {}).get("mlflow.user", "")
        if isinstance(tagged, str) and tagged.strip():
            return tagged.strip()
        return "" if self.user_id in ("", "unknown") else self.user_id

    @property
    def source_commit(self) -> str:
        return self.tags.get("mlflow.source.git.commit", "")

    def metric_value(self, key: str) -> float | None:
        """The latest value of a metric as a float (NaN and infinities included)."""
        value = self.metrics.get(key)
        if value is None:
            return None
        return metric_from_json(value)


def metric_to_json(value: float):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def metric_from_json(value) -> float:
    if isinstance(value, str):
        return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(value, value))
    return float(value)


class MetricPoint(models.Model):
    """One point of a metric history. Written in bulk; a changed history is replaced whole."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="points")
    key = models.CharField(max_length=250)
    step = models.BigIntegerField()
    # NaN is kept as is_nan (as MLflow's own store does: SQLite turns a NaN REAL into NULL);
    # infinities are kept in the double-precision value.
    value = models.FloatField()
    is_nan = models.BooleanField(default=False)
    timestamp = models.BigIntegerField()

    class Meta:
        ordering = ["run", "key", "step", "timestamp"]
        indexes = [models.Index(fields=["run", "key", "step"], name="metric_point_history")]

    def __str__(self) -> str:
        return f"{self.key}[{self.step}] of run {self.run_id}"

    @property
    def real_value(self) -> float:
        return math.nan if self.is_nan else self.value


class ModelVersion(models.Model):
    source = models.ForeignKey(MlflowSource, on_delete=models.CASCADE, related_name="model_versions")
    name = models.CharField(max_length=500)
    version = models.CharField(max_length=32)
    run_id = models.CharField(max_length=64, blank=True, db_index=True)
    stage = models.CharField(max_length=32, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=32, blank=True)
    model_source = models.TextField(blank=True)
    created_ms = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-created_ms"]
        constraints = [models.UniqueConstraint(fields=["source", "name", "version"], name="unique_model_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class RunLink(models.Model):
    """A run linked to a ticket, by its `aihub.ticket` tag or by hand. Unlinking by hand
    keeps a tombstone so a sync does not bring back a link the team removed."""

    class Origin(models.TextChoices):
        TAG = "tag", "aihub.ticket tag"
        MANUAL = "manual", "Linked by hand"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="run_links")
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.MANUAL)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "ticket"], name="unique_run_ticket")]
        indexes = [models.Index(fields=["ticket", "active"], name="run_link_ticket")]

    def __str__(self) -> str:
        return f"run {self.run_id} -> ticket {self.ticket_id} ({self.origin})"


class SyncRecord(models.Model):
    class Kind(models.TextChoices):
        FAST = "fast", "Fast loop"
        FULL = "full", "Full reconcile"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        ERROR = "error", "Error"
        SKIPPED = "skipped", "Skipped (another sync was running)"

    source = models.ForeignKey(MlflowSource, on_delete=models.CASCADE, related_name="syncs")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    runs_seen = models.PositiveIntegerField(default=0)
    runs_created = models.PositiveIntegerField(default=0)
    runs_updated = models.PositiveIntegerField(default=0)
    runs_deleted = models.PositiveIntegerField(default=0)
    runs_purged = models.PositiveIntegerField(default=0)
    history_requests = models.PositiveIntegerField(default=0)
    points_written = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # Until when a queued or running record counts as alive: a running sync's heartbeat
    # pushes it forward every few seconds; past it, the sync is taken over ("worker lost").
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["source", "-created_at"], name="sync_record_recent"),
            models.Index(
                fields=["lease_expires_at"],
                name="sync_record_active_lease",
                condition=models.Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} sync of {self.source_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class MetricGate(models.Model):
    class Op(models.TextChoices):
        GE = ">=", ">="
        GT = ">", ">"
        LE = "<=", "<="
        LT = "<", "<"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="metric_gates")
    metric = models.CharField(max_length=250)
    op = models.CharField(max_length=2, choices=Op.choices)
    threshold = models.FloatField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The status last seen ("pass", "fail", "pending"; empty: never checked), so a change to
    # pass or fail is announced once (webhooks: gate.passed, gate.failed).
    last_status = models.CharField(max_length=8, blank=True, default="", editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "op"], name="unique_gate"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"

    @property
    def higher_is_better(self) -> bool:
        return self.op in (self.Op.GE, self.Op.GT)

    def passes(self, value: float) -> bool:
        if value is None or math.isnan(value):
            return False
        return {
            ">=": value >= self.threshold,
            ">": value > self.threshold,
            "<=": value <= self.threshold,
            "<": value < self.threshold,
        }[self.op]


class Sentinel(models.Model):
    """A project's champion and the metric newly synced runs must not fall below."""

    class ChampionKind(models.TextChoices):
        ALIAS = "alias", "Registered model alias"
        RUN = "run", "Run"

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="sentinel")
    champion_kind = models.CharField(max_length=8, choices=ChampionKind.choices, default=ChampionKind.ALIAS)
    model_name = models.CharField(max_length=500, blank=True)
    alias = models.CharField(max_length=100, blank=True, default="champion")
    champion_run_id = models.CharField(max_length=64, blank=True)
    metric = models.CharField(max_length=250)
    higher_is_better = models.BooleanField(default=True)
    tolerance = models.FloatField(default=0.0)
    regression_ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Runs started before this are history, not regressions.
    since = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Sentinel of {self.project_id} on {self.metric}"


class RegressionFlag(models.Model):
    """A synced run that fell below the champion by more than the tolerance."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="regressions")
    champion_run_id = models.CharField(max_length=64)
    metric = models.CharField(max_length=250)
    champion_value = models.FloatField()
    run_value = models.FloatField()
    tolerance = models.FloatField()
    regression_ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["run", "champion_run_id", "metric"], name="unique_regression_flag"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of run {self.run_id} below champion {self.champion_run_id}"

    @property
    def delta(self) -> float:
        return self.run_value - self.champion_value


class RunTablePreference(models.Model):
    """Which metric and param columns a user sees in the runs tables of a project
    (no row: the keys most runs have, as before)."""

    MAX_COLUMNS = 30

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    metrics = models.JSONField(default=list, blank=True)
    params = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="unique_run_table_preference")]

    def __str__(self) -> str:
        return f"Run columns of {self.user_id} in {self.project_id}"


class Target(models.Model):
    """A project's success metric: an MLflow metric key, which way is better, the value to
    reach and, optionally, where the team started (baseline) and by when. At most one
    target per project is primary (the one portfolio and burn-up charts follow)."""

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=250, help_text="The MLflow metric key, e.g. val_f1.")
    direction = models.CharField(max_length=6, choices=Direction.choices, default=Direction.HIGHER)
    target = models.FloatField(help_text="The value to reach.")
    baseline = models.FloatField(null=True, blank=True, help_text="Where the project started, if known.")
    deadline = models.DateField(null=True, blank=True)
    primary = models.BooleanField(default=False, help_text="The project's main target (one per project).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-primary", "metric", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "metric"], name="unique_target_metric"),
            models.UniqueConstraint(fields=["project"], condition=models.Q(primary=True), name="unique_primary_target"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.gate_op} {self.target:g}"

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.HIGHER

    @property
    def gate_op(self) -> str:
        """The metric gate operator that says "this target is met"."""
        return MetricGate.Op.GE if self.higher_is_better else MetricGate.Op.LE

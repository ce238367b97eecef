"""Shapes of the experiments API. Shape checks only; rules live in services."""

from rest_framework import serializers

from ..models import MetricGate, MlflowSource, Run, SyncRecord, Target


class SyncRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRecord
        fields = [
            "id",
            "kind",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "runs_seen",
            "runs_created",
            "runs_updated",
            "runs_deleted",
            "runs_purged",
            "history_requests",
            "points_written",
            "pages",
            "warnings",
            "error",
        ]
        read_only_fields = fields


class MlflowSourceSerializer(serializers.ModelSerializer):
    """A source; `last_sync` is its latest sync record (set by the selector, no query here)."""

    last_sync = SyncRecordSerializer(read_only=True, allow_null=True)
    has_secret = serializers.SerializerMethodField()
    project = serializers.CharField(source="project.key", read_only=True)

    class Meta:
        model = MlflowSource
        fields = [
            "id",
            "project",
            "name",
            "tracking_uri",
            "experiment_names",
            "username",
            "has_secret",
            "credentials_from_env",
            "enabled",
            "fast_interval_seconds",
            "reconcile_interval_seconds",
            "last_fast_at",
            "last_full_at",
            "created_at",
            "last_sync",
        ]
        read_only_fields = fields

    def get_has_secret(self, source) -> bool:
        return bool(source.secret_encrypted)


class SourceCreateSerializer(serializers.Serializer):
    tracking_uri = serializers.CharField(max_length=500)
    experiment_names = serializers.ListField(
        child=serializers.CharField(max_length=500), allow_empty=False, max_length=50
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    username = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    secret = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        help_text="A password (with username) or a token; stored encrypted.",
    )
    credentials_from_env = serializers.BooleanField(required=False, default=False)
    fast_interval_seconds = serializers.IntegerField(min_value=60, max_value=86400, required=False, default=300)
    reconcile_interval_seconds = serializers.IntegerField(
        min_value=300, max_value=7 * 86400, required=False, default=3600
    )


class SourceTestSerializer(serializers.Serializer):
    tracking_uri = serializers.CharField(max_length=500)
    experiment_names = serializers.ListField(
        child=serializers.CharField(max_length=500), allow_empty=False, max_length=50
    )
    username = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    secret = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", write_only=True)
    credentials_from_env = serializers.BooleanField(required=False, default=False)


class SourceTestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()


class RunSerializer(serializers.ModelSerializer):
    experiment = serializers.CharField(source="experiment.name", read_only=True)
    experiment_id = serializers.CharField(source="experiment.experiment_id", read_only=True)
    tickets = serializers.SerializerMethodField()
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    source = serializers.IntegerField(source="source_id", read_only=True)

    class Meta:
        model = Run
        fields = [
            "run_id",
            "name",
            "experiment",
            "experiment_id",
            "status",
            "user_id",
            "start_time",
            "end_time",
            "duration_seconds",
            "params",
            "metrics",
            "tags",
            "tickets",
            "lifecycle",
            "deleted",
            "purged",
            "artifact_uri",
            "source",
            "rejected",
            "updated_at",
        ]
        read_only_fields = fields

    def get_tickets(self, run) -> list[str]:
        return [link.ticket.key for link in getattr(run, "active_links", [])]


class MetricPointSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    value = serializers.JSONField(help_text='A number, or "NaN", "Infinity", "-Infinity".')
    timestamp = serializers.IntegerField()


class MetricHistorySerializer(serializers.Serializer):
    run_id = serializers.CharField()
    key = serializers.CharField()
    history = MetricPointSerializer(many=True)


class RunLinkCreateSerializer(serializers.Serializer):
    run_id = serializers.CharField(max_length=64)


class RunLinkSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    run_id = serializers.CharField()
    origin = serializers.CharField()
    run = RunSerializer()


class GateCreateSerializer(serializers.Serializer):
    metric = serializers.CharField(max_length=250)
    op = serializers.ChoiceField(choices=MetricGate.Op.choices)
    threshold = serializers.FloatField()


class GateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gate = serializers.CharField()
    metric = serializers.CharField()
    op = serializers.CharField()
    threshold = serializers.FloatField()
    status = serializers.ChoiceField(choices=["pass", "fail", "pending"])
    best_value = serializers.FloatField(allow_null=True)
    best_run = serializers.CharField(allow_null=True)
    best_run_name = serializers.CharField(allow_null=True)


class TargetWriteSerializer(serializers.Serializer):
    """A target's fields (PATCH: any of them). Shape only; the service checks the rules."""

    metric = serializers.CharField(max_length=250, help_text="The MLflow metric key, e.g. val_f1.")
    direction = serializers.ChoiceField(choices=Target.Direction.choices, default=Target.Direction.HIGHER)
    target = serializers.FloatField(help_text="The value to reach.")
    baseline = serializers.FloatField(required=False, allow_null=True, default=None)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    primary = serializers.BooleanField(
        required=False, default=False, help_text="The project's main target; setting it clears the previous one."
    )


class TargetSerializer(serializers.Serializer):
    """A target with its progress (selectors.target_progress)."""

    id = serializers.IntegerField(source="target.pk")
    project = serializers.CharField(source="target.project.key")
    metric = serializers.CharField(source="target.metric")
    direction = serializers.ChoiceField(source="target.direction", choices=Target.Direction.choices)
    target = serializers.FloatField(source="target.target")
    baseline = serializers.FloatField(source="target.baseline", allow_null=True)
    deadline = serializers.DateField(source="target.deadline", allow_null=True)
    primary = serializers.BooleanField(source="target.primary")
    best_value = serializers.FloatField(
        allow_null=True, help_text="Best value among the project's finished runs (NaN and infinities ignored)."
    )
    best_run = serializers.CharField(allow_null=True, help_text="MLflow run id of the run that holds best_value.")
    best_run_name = serializers.CharField(allow_null=True)
    best_at = serializers.DateTimeField(allow_null=True, help_text="When that run finished.")
    gap = serializers.FloatField(
        allow_null=True, help_text="How far best_value still is from the target (zero or less once met)."
    )
    met = serializers.BooleanField()
    created_at = serializers.DateTimeField(source="target.created_at")
    updated_at = serializers.DateTimeField(source="target.updated_at")


class SourceUpdateSerializer(SourceCreateSerializer):
    """Every field optional: only those sent change. `secret` replaces the stored one when
    given (blank keeps it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty

    enabled = serializers.BooleanField(required=False, help_text="false pauses its scheduled syncs.")


class ExperimentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", help_text="AI Hub's id (the runs table's `experiment_pk`).")
    experiment_id = serializers.CharField(help_text="MLflow's experiment id.")
    name = serializers.CharField()
    source = serializers.IntegerField(source="source_id")
    run_count = serializers.IntegerField()


class CompareRunSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    name = serializers.CharField()
    experiment = serializers.CharField(source="experiment.name")
    status = serializers.CharField()


class CompareRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    values = serializers.ListField(
        child=serializers.JSONField(allow_null=True), help_text="One value per run, in the order of `runs`."
    )
    differs = serializers.BooleanField()


class RunCompareSerializer(serializers.Serializer):
    runs = CompareRunSerializer(many=True)
    params = CompareRowSerializer(many=True)
    metrics = CompareRowSerializer(many=True)


class SentinelSerializer(serializers.Serializer):
    """The regression sentinel: newly synced runs whose `metric` falls behind the champion's
    (by more than `tolerance`) are flagged, and a regression ticket is opened."""

    champion_kind = serializers.ChoiceField(
        choices=["alias", "run"], default="alias", help_text="alias: a registered model's alias; run: a run id."
    )
    model_name = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    alias = serializers.CharField(max_length=100, required=False, allow_blank=True, default="champion")
    champion_run_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    metric = serializers.CharField(max_length=250)
    higher_is_better = serializers.BooleanField(required=False, default=True)
    tolerance = serializers.FloatField(required=False, default=0.0, min_value=0.0)
    regression_ticket = serializers.CharField(
        source="regression_ticket.key",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="The open regression ticket's key, or null.",
    )
    updated_at = serializers.DateTimeField(read_only=True)

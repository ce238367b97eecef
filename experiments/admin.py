from django.contrib import admin

from .models import (
    Experiment,
    MetricGate,
    MetricPoint,
    MlflowSource,
    ModelVersion,
    RegressionFlag,
    Run,
    RunLink,
    RunTablePreference,
    Sentinel,
    SyncRecord,
    Target,
)


@admin.register(MlflowSource)
class MlflowSourceAdmin(admin.ModelAdmin):
    list_display = ["label", "project", "tracking_uri", "enabled", "last_fast_at", "last_full_at"]
    list_filter = ["enabled"]
    search_fields = ["name", "tracking_uri", "project__key"]
    readonly_fields = ["fast_watermark_ms", "last_fast_at", "last_full_at", "lock_token", "lock_expires_at"]
    exclude = ["secret_encrypted"]


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "experiment_id", "source", "lifecycle_stage"]
    search_fields = ["name", "experiment_id"]
    list_select_related = ["source"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["run_id", "name", "project", "experiment", "status", "lifecycle", "start_time"]
    list_filter = ["status", "lifecycle"]
    search_fields = ["run_id", "name"]
    list_select_related = ["project", "experiment"]
    raw_id_fields = ["project", "source", "experiment"]


@admin.register(MetricPoint)
class MetricPointAdmin(admin.ModelAdmin):
    list_display = ["run", "key", "step", "value", "is_nan", "timestamp"]
    search_fields = ["run__run_id", "key"]
    raw_id_fields = ["run"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "run_id", "stage", "aliases", "source"]
    search_fields = ["name", "run_id"]


@admin.register(RunLink)
class RunLinkAdmin(admin.ModelAdmin):
    list_display = ["run", "ticket", "origin", "active", "created_at"]
    list_filter = ["origin", "active"]
    raw_id_fields = ["run", "ticket", "created_by"]


@admin.register(SyncRecord)
class SyncRecordAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "status", "created_at", "finished_at", "runs_created", "runs_updated", "error"]
    list_filter = ["kind", "status"]
    list_select_related = ["source"]


@admin.register(MetricGate)
class MetricGateAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "op", "threshold"]
    raw_id_fields = ["ticket", "created_by"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["project", "metric", "direction", "target", "baseline", "deadline", "primary"]
    list_filter = ["direction", "primary"]
    raw_id_fields = ["project", "created_by"]


@admin.register(Sentinel)
class SentinelAdmin(admin.ModelAdmin):
    list_display = ["project", "metric", "champion_kind", "model_name", "alias", "tolerance"]
    raw_id_fields = ["regression_ticket"]


@admin.register(RegressionFlag)
class RegressionFlagAdmin(admin.ModelAdmin):
    list_display = ["run", "metric", "run_value", "champion_value", "tolerance", "created_at"]
    raw_id_fields = ["run", "regression_ticket"]


@admin.register(RunTablePreference)
class RunTablePreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "updated_at"]
    raw_id_fields = ["user", "project"]

"""The Celery app. Every periodic schedule lives here, in one place."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")

app = Celery("aihub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_build_only_settings(**kwargs):
    """Celery logs and swallows exceptions from signal handlers; SystemExit stops it."""
    from django.core.exceptions import ImproperlyConfigured

    from aihub.checks import refuse_to_serve_unless_ready

    try:
        refuse_to_serve_unless_ready(static=False)
    except ImproperlyConfigured as error:
        raise SystemExit(f"aihub: {error}") from None


# Beat schedules. Apps add entries here rather than scattering them over settings.
app.conf.beat_schedule = {}
# Experiments: every 30 s, enqueue each MLflow source's fast loop (default every 5 min) or
# full reconcile (default hourly) when due, and take over syncs whose
# worker died (lease expired), so a lost sync resumes within a minute.
app.conf.beat_schedule["experiments-dispatch-due-syncs"] = {
    "task": "experiments.tasks.dispatch_due_syncs",
    "schedule": 30.0,
}
# Docs: every 15 minutes, queue one task per project whose weekly status report is due (its
# day and time, UTC, are project settings); the task writes it once per project and week.
app.conf.beat_schedule["docs-hub-dispatch-due-status-reports"] = {
    "task": "docs_hub.tasks.dispatch_due_status_reports",
    "schedule": 900.0,
}
# Accounts: daily, delete audit entries older than AIHUB_AUDIT_RETENTION_DAYS (in batches).
app.conf.beat_schedule["accounts-prune-audit-log"] = {
    "task": "accounts.tasks.prune_audit_log",
    "schedule": 86400.0,
}

"""The Celery app. Every periodic schedule lives here, in one place."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")

app = Celery("aihub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat schedules. Apps add entries here rather than scattering them over settings.
app.conf.beat_schedule = {}
# Experiments: every minute, enqueue each MLflow source's fast loop (default every 5 min) or
# full reconcile (default hourly) when due; the intervals are per source.
app.conf.beat_schedule["experiments-dispatch-due-syncs"] = {
    "task": "experiments.tasks.dispatch_due_syncs", "schedule": 60.0,
}

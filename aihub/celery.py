"""The Celery app. Every periodic schedule lives here, in one place."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")

app = Celery("aihub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat schedules. Apps add entries here rather than scattering them over settings.
app.conf.beat_schedule = {}

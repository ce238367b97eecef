"""Celery task of the webhooks: one attempt per run; a failed attempt queues the next one
with exponential backoff (integrations.services.backoff_seconds)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    """Send a delivery's next attempt. Idempotent: a delivered or abandoned delivery, or an
    attempt another worker claimed, sends nothing."""
    retry_in = services.delivery_attempt(delivery_id)
    if retry_in is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=retry_in)


# The project archive import's task lives beside its job (integrations/archive/jobs.py).
from .archive.jobs import import_project_archive  # noqa: E402, F401
from .jira_tasks import run_jira_import  # noqa: E402, F401  (the Jira CSV import's task)
from .markdown_tasks import run_markdown_import  # noqa: E402, F401  (the Markdown zip import's task)

"""The Markdown zip import's Celery task (registered as integrations.tasks.run_markdown_import;
integrations/tasks.py imports it so the worker finds it)."""

from celery import shared_task

from . import markdown_import


@shared_task(name=markdown_import.TASK_NAME, acks_late=True)
def run_markdown_import(job_id: int) -> None:
    """Run a queued Markdown import job. Idempotent: a job already claimed or finished is left
    alone, and pages are matched by their path in the zip, so nothing is created twice."""
    markdown_import.markdown_import_run(job_id=job_id)

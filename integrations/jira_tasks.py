"""The Jira CSV import's Celery task (registered as integrations.tasks.run_jira_import;
integrations/tasks.py imports it so the worker finds it)."""

from celery import shared_task

from . import jira_import

TASK_NAME = "integrations.tasks.run_jira_import"


@shared_task(name=TASK_NAME, acks_late=True)
def run_jira_import(job_id: int) -> None:
    """Run a queued import job. Idempotent: a job already claimed or finished is left alone,
    and the import itself creates nothing twice (tickets by Jira key, comments by text and time)."""
    jira_import.jira_import_run(job_id=job_id)

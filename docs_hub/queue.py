"""Enqueueing docs_hub's Celery tasks: the one place that hands work to the broker.

Services call these inside their transaction; the task is sent once it commits. A task
is looked up by its name, never imported: `docs_hub.tasks` calls the services, so an
import back would be a cycle. DocsHubConfig.ready() imports the tasks module, which
registers the names in every process."""

from django.db import transaction

from aihub.celery import app
from aihub.queueing import enqueue_or_run_here

RERENDER_DOCS_TASK = "docs_hub.tasks.rerender_docs"


def enqueue_rerender_docs(doc_ids: list[int]) -> None:
    """Render these docs again on a worker once the current transaction commits (in this
    process if the task queue is down: nothing is lost)."""
    transaction.on_commit(lambda: enqueue_or_run_here(app.tasks[RERENDER_DOCS_TASK], doc_ids))


STATUS_REPORT_TASK = "docs_hub.tasks.status_report_write"


def enqueue_status_report(project_id: int, period: str) -> None:
    """Write this project's weekly report for `period` (ISO date) on a worker, once the
    current transaction (if any) commits; in this process if the task queue is down."""
    transaction.on_commit(lambda: enqueue_or_run_here(app.tasks[STATUS_REPORT_TASK], project_id, period))

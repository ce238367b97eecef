"""Celery tasks: they take ids and call a service. Enqueued through docs_hub/queue.py, by name."""

import datetime

from celery import shared_task

from projects.models import Project

from . import services


@shared_task(acks_late=True)
def rerender_docs(doc_ids: list[int]) -> int:
    """Render these docs again (their links changed target). Idempotent."""
    return services.doc_rerender(doc_ids=doc_ids)


@shared_task(acks_late=True)
def dispatch_due_status_reports() -> int:
    """Beat calls this every 15 minutes: queue the weekly status reports that are due."""
    return services.status_reports_dispatch_due()


@shared_task(acks_late=True)
def status_report_write(project_id: int, period: str) -> int | None:
    """Write a project's weekly status report for `period` (ISO date of its slot). Safe to
    run twice: a report already written for the period is left as it is."""
    project = Project.objects.filter(pk=project_id, status_report_enabled=True).first()
    if project is None:  # deleted, or the schedule was turned off since
        return None
    report = services.status_report_generate(project=project, period=datetime.date.fromisoformat(period))
    return report.pk

"""Writes for status reports: a report page under "Status reports" (written through
`doc_create`, so it is versioned, searchable and backlinked like any page), and the beat's
dispatch of the weekly reports that are due."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from projects.models import Project

from .. import selectors
from ..models import StatusReport
from ..queue import enqueue_status_report
from ..reports import PARENT_TITLE, compose_markdown, report_title
from .docs import doc_create

User = get_user_model()

PARENT_BODY = (
    "Weekly status reports of this project, one page each, newest last. Each page keeps the figures "
    "as they were when it was written. The schedule is in the project settings; "
    "“Generate now” on the dashboard writes one at any time.\n"
)


@transaction.atomic
def status_report_generate(
    *,
    project: Project,
    user: User | None = None,
    period: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> StatusReport:
    """Write a status report page and record it. A scheduled report (`period`: the date of
    its weekly slot) is written once per project and period: reports of a project are
    written one at a time (its row is locked) and an existing report for the period is
    returned unchanged, so a beat that fires twice or two workers that run the same task
    write one page. "Generate now" (no period) always writes a new one."""
    now = now or timezone.now()
    list(Project.objects.select_for_update().filter(pk=project.pk).order_by().values_list("pk", flat=True))
    if period is not None:
        existing = StatusReport.objects.filter(project=project, period=period).select_related("doc").first()
        if existing is not None:
            return existing
    previous = selectors.latest_status_report(project=project)
    figures = selectors.status_report_figures(project=project, previous=previous, now=now)
    parent = selectors.status_reports_parent(project=project) or doc_create(
        project=project, author=user, title=PARENT_TITLE, body=PARENT_BODY, message="Created for status reports"
    )
    doc = doc_create(
        project=project,
        author=user,
        title=report_title(generated_at=now, period=period),
        body=compose_markdown(figures),
        parent=parent,
        message="Weekly status report" if period is not None else "Status report (Generate now)",
    )
    report = StatusReport(
        project=project,
        doc=doc,
        period=period,
        trigger=StatusReport.Trigger.SCHEDULED if period is not None else StatusReport.Trigger.MANUAL,
        created_by=user,
        generated_at=now,
        figures=figures,
    )
    report.full_clean(exclude=["project", "doc", "created_by"], validate_constraints=False)
    report.save()
    return report


def status_reports_dispatch_due(*, now: datetime.datetime | None = None) -> int:
    """The beat's job: one small task per project whose weekly report is due and not
    written yet (the task writes it, or finds it written). Returns how many were queued."""
    due = selectors.projects_due_for_report(now=now or timezone.now())
    for project_id, period in due:
        enqueue_status_report(project_id, period.isoformat())
    return len(due)

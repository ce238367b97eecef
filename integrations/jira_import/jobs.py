"""An import job: recorded and queued by the request (a bad file is a 400, never a failed
job), run by the task with its progress written through a connection of its own."""

import datetime
import logging

from celery import current_app
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from aihub.queueing import enqueue_or_run_here
from projects.models import (
    Project,
)

from ..jira_csv import (
    JiraCsvError,
    JiraFile,
    parse_jira_csv,
)
from ..models import ImportJob
from .preview import max_rows
from .writer import jira_apply

logger = logging.getLogger(__name__)


RUN_TASK = "integrations.tasks.run_jira_import"
STALE_AFTER = 30 * 60  # seconds: a job "running" this long lost its worker


def jira_import_start(
    *,
    project: Project,
    user,
    data: bytes,
    file_name: str,
    options: dict,
    jira: JiraFile | None = None,
    pending_path: str = "",
) -> ImportJob:
    """Record the import job and queue it once this transaction commits. The file is checked
    here (unless the caller parsed it already): a bad file is a 400, never a failed job."""
    if jira is None:
        try:
            jira = parse_jira_csv(data, max_rows=max_rows())
        except JiraCsvError as error:
            raise ValidationError({"file": [str(error)]}) from None
    job = ImportJob(
        project=project,
        kind=ImportJob.Kind.JIRA,
        file_name=(file_name or "jira.csv")[:255],
        options=options,
        total=len(jira.issues),
        created_by=user,
    )
    job.file.save("jira.csv", ContentFile(data), save=False)
    job.save()
    if pending_path:
        transaction.on_commit(lambda: default_storage.delete(pending_path))
    # By name: the task's module imports this one. Broker down: it runs here (nothing lost).
    task = current_app.tasks[RUN_TASK]
    transaction.on_commit(lambda: enqueue_or_run_here(task, job.pk))
    return job


class _Progress:
    """Writes a job's `processed` through its own autocommit connection, so the page sees
    the count grow while the import's transaction is still open (PostgreSQL only)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.raw = None
        if connection.vendor == "postgresql":
            self.raw = connection.get_new_connection(connection.get_connection_params())
            self.raw.autocommit = True

    def __call__(self, processed: int) -> None:
        if self.raw is not None:
            with self.raw.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET processed = %s WHERE id = %s", [processed, self.job_id]
                )

    def close(self) -> None:
        if self.raw is not None:
            self.raw.close()


def jira_import_run(*, job_id: int) -> ImportJob | None:
    """Run a queued Jira import. Safe to run twice: only a queued job is claimed, or one left
    running for STALE_AFTER by a worker that died (its transaction rolled back: nothing of it
    was written, and the task is delivered again since it is acknowledged late)."""
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.RUNNING, started_at__lt=now - datetime.timedelta(seconds=STALE_AFTER)
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(status=ImportJob.Status.RUNNING, started_at=now)
    if not claimed:
        return None
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    progress = _Progress(job.pk)
    try:
        with job.file.open("rb") as handle:
            jira = parse_jira_csv(handle.read(), max_rows=max_rows())
        result = jira_apply(
            project=job.project, jira=jira, options=job.options, actor=job.created_by, progress=progress
        )
    except JiraCsvError as error:
        job.status, job.errors = ImportJob.Status.ERROR, [str(error)]
    except Exception as error:  # the job must say it failed; the log keeps the traceback
        logger.exception("Jira import %s failed", job.pk)
        job.status = ImportJob.Status.ERROR
        job.errors = [f"The import failed and wrote nothing: {type(error).__name__}: {error}"[:1000]]
    else:
        job.status = ImportJob.Status.DONE
        job.created, job.updated = result.pop("created"), result.pop("updated")
        job.errors, job.result = result.pop("errors"), result
        job.processed = job.total
    finally:
        progress.close()
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "created", "updated", "errors", "result", "processed", "finished_at"])
    return job


def import_jobs_recent(*, project: Project, limit: int = 5):
    return list(
        ImportJob.objects.filter(project=project, kind=ImportJob.Kind.JIRA)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )

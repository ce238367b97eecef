"""The Markdown zip import's job: checked on upload (a refused zip is a 400, nothing
stored), queued as an ImportJob, run by a Celery task (markdown_tasks.py) that calls the
docs' own import service (docs_hub.services.markdown_import_apply) and reports progress.

The pages are written in one transaction, so a failure leaves nothing half imported. The
job's `processed` count is written meanwhile through a second database connection, so a
poller sees it grow while that transaction is still open (PostgreSQL only)."""

import logging
import os
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from aihub.celery import app
from aihub.queueing import enqueue_or_run_here
from docs_hub import services as docs_services
from docs_hub.models import Doc
from projects.models import Project

from .models import ImportJob

logger = logging.getLogger(__name__)

TASK_NAME = "integrations.tasks.run_markdown_import"
PROGRESS_EVERY_SECONDS = 0.3


def _upload_limit() -> int:
    return int(getattr(settings, "DOCS_IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))


def markdown_import_parent(*, project: Project, parent: str | int | None) -> Doc | None:
    """The page to import under, by id or slug: a live page of the project, else a 400."""
    if parent in (None, ""):
        return None
    text = str(parent).strip()
    docs = Doc.objects.filter(project=project, deleted_at__isnull=True)
    if text.isascii() and text.isdigit() and len(text) < 19:  # an id (a bigint), else a slug
        found = docs.filter(pk=int(text)).first()
    else:
        found = docs.filter(slug=text[:220]).first()
    if found is None:
        raise ValidationError({"parent": ["No live page of this project has this id or slug."]})
    return found


def _plan(upload):
    if upload is None:
        raise ValidationError({"file": ["Choose a zip of Markdown files."]})
    if upload.size > _upload_limit():
        raise ValidationError({"file": [f"The zip is larger than {_upload_limit():,} bytes."]})
    return docs_services.plan_zip(upload)


def markdown_import_preview(*, project: Project, parent: Doc | None, upload) -> dict:
    """What the import would do: the tree, counts, rewritten and missing links, warnings."""
    return docs_services.markdown_import_preview(project=project, parent=parent, plan=_plan(upload))


@transaction.atomic
def markdown_import_start(*, project: Project, parent: Doc | None, upload, user) -> ImportJob:
    """Check the zip (a ValidationError on `file` if refused) and queue its import."""
    plan = _plan(upload)
    upload.seek(0)
    job = ImportJob(
        project=project,
        kind=ImportJob.Kind.MARKDOWN,
        file_name=os.path.basename(upload.name or "markdown.zip")[:255],
        options={"parent": parent.pk if parent else None},
        total=len(plan.pages),
        created_by=user,
    )
    # An unguessable name: nothing serves MEDIA_ROOT in production, but DEBUG does.
    job.file.save(f"markdown-{secrets.token_hex(12)}.zip", upload, save=False)
    job.full_clean()
    job.save()
    # On a worker once this commits; in this process if the task queue is down (the job
    # still ends done or error, never stays queued).
    transaction.on_commit(lambda: enqueue_or_run_here(app.tasks[TASK_NAME], job.pk))
    return job


def _progress_writer(job_id: int) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    """A callback writing `processed` on its own connection (committed at once), and a
    closer. None where there is no second connection to have (SQLite would lock)."""
    if connection.vendor != "postgresql":
        return None, lambda: None
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    last = [0.0]

    def write(processed: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_SECONDS:
            return
        last[0] = now
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET processed = %s WHERE id = %s AND status = %s",
                [processed, job_id, ImportJob.Status.RUNNING],
            )

    return write, side.close


def _finish(job_id: int, **fields) -> None:
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)


# pg_advisory_lock(key1, key2) namespace of this job's runner (key2: the job id).
RUN_LOCK_NAMESPACE = 0x4D445A  # "MDZ"


def _lock_run(job_id: int) -> bool:
    """Hold a session lock on this job while it runs: a second delivery of the task finds it
    taken and does nothing; a job left "running" by a worker that died (its session ended,
    so did the lock) is taken up again by the redelivered task. SQLite: always True."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK_NAMESPACE, job_id])
        return bool(cursor.fetchone()[0])


def _unlock_run(job_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK_NAMESPACE, job_id])


def markdown_import_run(*, job_id: int) -> None:
    """Carry out a queued job. Safe to run twice: a job another worker is running, or one
    that is finished, is left alone; and the import matches pages by their path in the zip,
    so a job taken up again after a worker died never duplicates."""
    if not _lock_run(job_id):
        return
    try:
        unfinished = [ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
        if connection.vendor != "postgresql":
            unfinished = [ImportJob.Status.QUEUED]  # no lock tells a live runner from a dead one
        claimed = ImportJob.objects.filter(pk=job_id, kind=ImportJob.Kind.MARKDOWN, status__in=unfinished).update(
            status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed=0
        )
        if claimed:
            _run(job_id)
    finally:
        _unlock_run(job_id)


def _run(job_id: int) -> None:
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    progress, close = _progress_writer(job.pk)
    try:
        parent = markdown_import_parent(project=job.project, parent=job.options.get("parent"))
        with job.file.open("rb") as handle:
            plan = docs_services.plan_zip(handle)
        outcome = docs_services.markdown_import_apply(
            project=job.project,
            parent=parent,
            plan=plan,
            user=job.created_by,
            source_name=job.file_name,
            progress=progress,
        )
    except ValidationError as error:
        _finish(job.pk, status=ImportJob.Status.ERROR, errors=[*error.messages, "Nothing was imported."])
        return
    except Exception:
        logger.exception("markdown import %s failed", job.pk)
        _finish(
            job.pk,
            status=ImportJob.Status.ERROR,
            errors=["The import failed unexpectedly; nothing was imported. Try again, or ask an administrator."],
        )
        raise
    finally:
        close()
    _finish(
        job.pk,
        status=ImportJob.Status.DONE,
        total=outcome["pages"],
        processed=outcome["pages"],
        created=outcome["created"],
        updated=outcome["updated"],
        result=outcome,
    )

"""The import job of a project archive: checked and queued on upload, run by a Celery task."""

import datetime

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from aihub.queueing import enqueue_or_run_here

from ..models import ImportJob
from .format import ArchiveError, archive_open
from .importer import check_may_create_users, key_check, project_import, users_resolve


def _objects(data: dict) -> int:
    """How many objects the archive holds (the job's total)."""
    count = 1
    for value in data.values():
        if isinstance(value, list):
            count += len(value)
            for row in value:
                if isinstance(row, dict):
                    count += sum(len(v) for k, v in row.items() if isinstance(v, list) and k in _NESTED)
    mlflow = data.get("mlflow")
    if isinstance(mlflow, dict):
        count += sum(len(v) for v in mlflow.values() if isinstance(v, list))
    return count


_NESTED = ("comments", "events", "revisions", "aliases", "attachments")


@transaction.atomic
def import_start(*, user, key: str, upload) -> ImportJob:
    """Check the key and the archive's shape (a zip with this format's project.json) and
    queue its import: a ValidationError on `key` or `file` otherwise, nothing stored."""
    errors = {}
    try:
        key = key_check(key)
    except ValidationError as error:
        errors.update(error.message_dict)
    if upload is None:
        errors["file"] = ["Choose an archive exported from AI Hub (a .zip)."]
    else:
        try:
            data, _ = archive_open(upload)
            check_may_create_users(user, users_resolve(data)[1])
        except ArchiveError as error:
            errors["file"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    upload.seek(0)
    job = ImportJob(
        kind=ImportJob.Kind.PROJECT,
        file_name=(upload.name or "archive.zip")[:255],
        options={"key": key},
        created_by=user,
    )
    job.file.save("project-archive.zip", upload, save=False)
    job.full_clean()
    job.save()
    # Redis down: the import runs in this process rather than the upload answering 500.
    transaction.on_commit(lambda: enqueue_or_run_here(import_project_archive, job.pk))
    return job


STALE_AFTER = 30 * 60  # seconds: a job "running" this long lost its worker (its transaction rolled back)


def import_run(job_id: int) -> None:
    """Carry out a queued job. Safe to run twice: only a queued job is claimed, or one left
    running for STALE_AFTER by a worker that died (Celery delivers its task again)."""
    now = timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ImportJob.Status.QUEUED)
            | Q(status=ImportJob.Status.RUNNING, started_at__lt=now - datetime.timedelta(seconds=STALE_AFTER))
        )
        .update(status=ImportJob.Status.RUNNING, started_at=now)
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        with job.file.open("rb") as handle:
            data, archive = archive_open(handle)
            ImportJob.objects.filter(pk=job.pk).update(total=_objects(data))
            project, summary = project_import(
                data=data, archive=archive, key=job.options.get("key", ""), user=job.created_by
            )
    except ArchiveError as error:
        _fail(job, [str(error)])
        return
    except ValidationError as error:
        messages = (
            [f"{field}: {' '.join(problems)}" for field, problems in error.message_dict.items()]
            if hasattr(error, "message_dict")
            else error.messages
        )
        _fail(job, messages)
        return
    except Exception:
        _fail(job, ["The import failed on an unexpected error; nothing was written. The error is in the worker's log."])
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE,
        project=project,
        total=summary["objects"],
        processed=summary["objects"],
        created=summary["objects"],
        result=summary,
        finished_at=timezone.now(),
    )
    _drop_upload(job)


def _fail(job: ImportJob, errors: list[str]) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.ERROR, errors=errors, finished_at=timezone.now())
    _drop_upload(job)


def _drop_upload(job: ImportJob) -> None:
    """A finished job keeps no copy of the project it carried (file_name stays)."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


@shared_task(acks_late=True)
def import_project_archive(job_id: int) -> None:
    """Import the archive of a queued job (registered through integrations.tasks)."""
    import_run(job_id)

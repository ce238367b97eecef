"""Jira CSV import: the preview (reads only) and the import itself (bulk writes, run by a
Celery task), idempotent by `Ticket.external_ref` (the Jira key).

`jira_preview` says what an import would do and writes nothing. `jira_import_start` checks
the file, records an ImportJob and queues `integrations.tasks.run_jira_import` once the
request commits. `jira_import_run` (the task's body) claims the job and writes everything in
one transaction with the project row locked: labels, sprints and custom fields first, then
tickets by batches of 1,000 (created or, when their Jira key is already imported, updated
where they differ), their labels and comments (never twice), then the epic/parent links.
Progress (`processed`) is written through a second connection, so a page follows it while
the transaction is open; a failure leaves nothing half-written.
"""

import datetime
import logging
import re
import uuid
from dataclasses import dataclass, field

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signing import BadSignature, TimestampSigner
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from aihub.limits import text_limit
from aihub.markdown import render_markdown
from aihub.queueing import enqueue_or_run_here
from projects import live
from projects.models import (
    Comment,
    CustomField,
    CustomFieldType,
    Label,
    Membership,
    Project,
    Sprint,
    Ticket,
    TicketEvent,
    WorkflowStatus,
)
from projects.ranking import RANK_GAP

from .jira_csv import (
    KEY_RE,
    JiraCsvError,
    JiraFile,
    JiraIssue,
    Member,
    WorkflowColumn,
    column_key,
    column_label,
    map_issue_type,
    map_priority,
    map_statuses,
    match_users,
    natural_key,
    parse_jira_csv,
)
from .models import ImportJob

logger = logging.getLogger(__name__)
User = get_user_model()

RUN_TASK = "integrations.tasks.run_jira_import"
BATCH = 1000
STALE_AFTER = 30 * 60  # seconds: a job "running" this long lost its worker
PREVIEW_ROWS = 20
SPRINT_DAYS = 14
PENDING_DIR = "imports/pending"
PENDING_MAX_AGE = 24 * 3600  # seconds a previewed upload may wait for its import
JIRA_AUTHOR_NOTE = re.compile(r"^\*\*[^*\n]{1,200}\*\* \(Jira\):\n\n")


def max_bytes() -> int:
    return int(getattr(settings, "AIHUB_JIRA_IMPORT_MAX_BYTES", 50_000_000))


def max_rows() -> int:
    return int(getattr(settings, "AIHUB_JIRA_IMPORT_MAX_ROWS", 100_000))


# --- the file and the choices ----------------------------------------------------------------


def jira_file_read(*, upload) -> tuple[bytes, JiraFile]:
    """The upload's bytes and what they hold, or ValidationError({"file": [reason]})."""
    if upload is None:
        raise ValidationError({"file": ["Choose the CSV file Jira exported."]})
    size, limit = getattr(upload, "size", None), max_bytes()
    if size is not None and size > limit:
        raise ValidationError({"file": [f"The file is {_size(size)}; at most {_size(limit)}: split the export."]})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": [f"The file is larger than {_size(limit)}: split the export."]})
    try:
        return data, parse_jira_csv(data, max_rows=max_rows())
    except JiraCsvError as error:
        raise ValidationError({"file": [str(error)]}) from None


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(n // 1000, 1)} KB"


def jira_options_clean(*, status_map=None, unknown_columns: str = "keep", keep_columns=None) -> dict:
    """The preview's choices as stored on the job: Jira status -> workflow slug overrides,
    and which unknown columns become custom fields (None: all of them, when kept)."""
    if status_map is not None and not isinstance(status_map, dict):
        raise ValidationError({"status_map": ["Give an object: Jira status name -> workflow status slug."]})
    if unknown_columns not in ("keep", "ignore"):
        raise ValidationError({"unknown_columns": ["Choose “keep” or “ignore”."]})
    if keep_columns is not None and not isinstance(keep_columns, (list, tuple)):
        raise ValidationError({"keep_columns": ["Give a list of column names."]})
    return {
        "status_map": {str(k): str(v) for k, v in (status_map or {}).items() if str(v)},
        "unknown_columns": unknown_columns,
        "keep_columns": None if keep_columns is None else [str(c) for c in keep_columns],
    }


# --- the plan: what each Jira value becomes in this project (reads only) ----------------------


@dataclass
class Plan:
    statuses: dict[str, tuple[str, str]]  # Jira status -> (slug, how)
    status_ids: dict[str, WorkflowStatus]  # slug -> status
    users: dict[str, int | None]  # Jira user -> member id
    usernames: dict[int, str]
    sprints: dict[str, Sprint | None]  # Jira sprint -> existing sprint (None: to create)
    labels: dict[str, int | None]  # label -> existing id (None: to create)
    existing: dict[str, int]  # Jira key -> ticket id already imported
    parents: dict[str, str]  # Jira key -> parent's Jira key
    unresolved_parents: list[str]
    keep_columns: list[str]
    warnings: list[str] = field(default_factory=list)


def _workflow(project: Project) -> list[WorkflowStatus]:
    return list(WorkflowStatus.objects.filter(project=project).order_by("position", "id"))


def _members(project: Project) -> list[Member]:
    rows = Membership.objects.filter(project=project).values_list(
        "user_id", "user__username", "user__email", "user__display_name", "user__first_name", "user__last_name"
    )
    return [
        Member(id=uid, username=username, email=email or "", names=(display, f"{first} {last}".strip()))
        for uid, username, email, display, first, last in rows
    ]


def _parent_keys(issues: list[JiraIssue], known: set[str]) -> tuple[dict[str, str], list[str]]:
    """Jira key -> its parent's key: from an Epic Link or Parent key, a Parent (issue) id,
    or else the Parent summary (an epic of the file first). Unresolvable ones are listed."""
    by_id = {i.issue_id: i.key for i in issues if i.issue_id}
    by_summary: dict[str, str] = {}
    for issue in sorted(issues, key=lambda i: map_issue_type(i.issue_type) != "epic"):
        by_summary.setdefault(issue.summary.strip().lower(), issue.key)
    parents, unresolved = {}, []
    for issue in issues:
        ref, target = issue.parent_ref, None
        if ref:
            target = ref if KEY_RE.match(ref) else by_id.get(ref)
        if target is None and issue.parent_summary:
            target = by_summary.get(issue.parent_summary.strip().lower())
        if target is not None and target != issue.key and target in known:
            parents[issue.key] = target
        elif ref or issue.parent_summary:
            unresolved.append(f"{issue.key} → {ref or issue.parent_summary}")
    return parents, unresolved


def jira_plan(*, project: Project, jira: JiraFile, options: dict) -> Plan:
    """What every Jira value maps to in `project`: a fixed number of queries."""
    workflow = _workflow(project)
    jira_statuses = {}
    for issue in jira.issues:
        if issue.status:
            jira_statuses.setdefault(issue.status, issue.status_category)
    columns = [WorkflowColumn(slug=s.slug, name=s.name, is_finished=s.is_finished) for s in workflow]
    statuses = map_statuses(jira_statuses, columns, options.get("status_map"))
    members = _members(project)
    people = sorted({p for i in jira.issues for p in (i.assignee, i.reporter) if p})
    people += sorted({c.author for i in jira.issues for c in i.comments if c.author} - set(people))
    users = match_users(people, members)
    sprint_names = sorted(dict.fromkeys(s for i in jira.issues for s in i.sprints), key=natural_key)
    existing_sprints = {s.name.strip().lower(): s for s in Sprint.objects.filter(project=project)}
    sprints = {name: existing_sprints.get(name.strip().lower()) for name in sprint_names}
    label_names = list(dict.fromkeys(label for i in jira.issues for label in i.labels))
    existing_labels = dict(Label.objects.filter(project=project, name__in=label_names).values_list("name", "id"))
    keys = [i.key for i in jira.issues]
    existing = dict(
        Ticket.objects.filter(project=project, external_ref__in=keys).values_list("external_ref", "id") if keys else []
    )
    parents, unresolved = _parent_keys(jira.issues, set(keys) | set(_imported_refs(project)))
    if options.get("unknown_columns", "keep") == "ignore":
        keep = []
    elif options.get("keep_columns") is None:
        keep = list(jira.unknown_columns)
    else:
        keep = [c for c in jira.unknown_columns if c in set(options["keep_columns"])]
    return Plan(
        statuses=statuses,
        status_ids={s.slug: s for s in workflow},
        users=users,
        usernames={m.id: m.username for m in members},
        sprints=sprints,
        labels={name: existing_labels.get(name) for name in label_names},
        existing=existing,
        parents=parents,
        unresolved_parents=unresolved,
        keep_columns=keep,
    )


def _imported_refs(project: Project) -> list[str]:
    return list(Ticket.objects.filter(project=project).exclude(external_ref="").values_list("external_ref", flat=True))


def jira_preview(*, project: Project, jira: JiraFile, options: dict) -> dict:
    """What an import of `jira` into `project` would do; writes nothing."""
    plan = jira_plan(project=project, jira=jira, options=options)
    issues = jira.issues

    def counted(values) -> dict[str, int]:
        counts: dict[str, int] = {}
        for value in values:
            counts[value] = counts.get(value, 0) + 1
        return counts

    status_counts = counted(i.status for i in issues if i.status)
    categories = {i.status: i.status_category for i in issues if i.status}
    people_counts = counted(p for i in issues for p in (i.assignee, i.reporter) if p)
    for issue in issues:
        for comment in issue.comments:
            if comment.author and comment.author not in people_counts:
                people_counts[comment.author] = 0
    sprint_counts = counted(i.sprint for i in issues if i.sprint)
    custom = {name: [i.extra[name] for i in issues if name in i.extra] for name in jira.unknown_columns}
    rows = []
    for issue in issues[:PREVIEW_ROWS]:
        assignee = plan.users.get(issue.assignee) if issue.assignee else None
        rows.append(
            {
                "key": issue.key,
                "title": issue.summary,
                "action": "update" if issue.key in plan.existing else "create",
                "type": map_issue_type(issue.issue_type),
                "jira_type": issue.issue_type,
                "status": plan.statuses[issue.status][0] if issue.status else None,
                "status_name": plan.status_ids[plan.statuses[issue.status][0]].name if issue.status else None,
                "jira_status": issue.status,
                "priority": map_priority(issue.priority),
                "assignee": plan.usernames.get(assignee) if assignee else None,
                "jira_assignee": issue.assignee,
                "sprint": issue.sprint or None,
                "parent": plan.parents.get(issue.key),
                "estimate": issue.estimate,
                "labels": issue.labels,
                "comments": len(issue.comments),
            }
        )
    return {
        "tickets": len(issues),
        "create": sum(1 for i in issues if i.key not in plan.existing),
        "update": sum(1 for i in issues if i.key in plan.existing),
        "preview": rows,
        "statuses": [
            {"jira": name, "category": categories.get(name, ""), "to": slug, "how": how, "count": status_counts[name]}
            for name, (slug, how) in plan.statuses.items()
        ],
        "workflow": [{"slug": s.slug, "name": s.name} for s in plan.status_ids.values()],
        "types": [
            {"jira": name, "to": map_issue_type(name), "count": n}
            for name, n in counted(i.issue_type or "(none)" for i in issues).items()
        ],
        "priorities": [
            {"jira": name, "to": map_priority(name), "count": n}
            for name, n in counted(i.priority or "(none)" for i in issues).items()
        ],
        "users": [
            {"jira": name, "to": plan.usernames.get(plan.users.get(name)), "count": n}
            for name, n in sorted(people_counts.items(), key=lambda item: (-item[1], item[0]))
        ],
        "unmatched_users": sorted(name for name in people_counts if plan.users.get(name) is None),
        "sprints": [
            {"name": name, "new": sprint is None, "tickets": sprint_counts.get(name, 0)}
            for name, sprint in plan.sprints.items()
        ],
        "new_labels": sorted(name for name, label_id in plan.labels.items() if label_id is None),
        "labels": len(plan.labels),
        "epics": sum(1 for i in issues if map_issue_type(i.issue_type) == "epic"),
        "with_parent": len(plan.parents),
        "unresolved_parents": plan.unresolved_parents[:50],
        "with_estimate": sum(1 for i in issues if i.estimate is not None),
        "comments": sum(len(i.comments) for i in issues),
        "unknown_columns": [
            {
                "name": name,
                "field": column_label(name),
                "key": column_key(name),
                "filled": len(values),
                "sample": (values[0][:80] if values else ""),
                "keep": name in plan.keep_columns,
            }
            for name, values in custom.items()
        ],
        "errors": jira.errors[:100],
    }


# --- a previewed upload waiting for its import (the page's two steps) --------------------------

_signer = TimestampSigner(salt="integrations.jira-upload")


def pending_upload_store(*, project: Project, user, data: bytes, file_name: str) -> str:
    """Keep a previewed file until the admin starts the import: a signed token names it
    (bound to the project and the user). Uploads older than a day are removed here."""
    _pending_prune()
    name = default_storage.save(f"{PENDING_DIR}/{uuid.uuid4().hex}.csv", ContentFile(data))
    return _signer.sign_object({"path": name, "project": project.pk, "user": user.pk, "name": file_name[:255]})


def pending_upload_open(*, token: str, project: Project, user) -> tuple[str, str, bytes]:
    """(storage path, original name, bytes) of a previewed upload, or ValidationError."""
    try:
        found = _signer.unsign_object(token or "", max_age=PENDING_MAX_AGE)
    except BadSignature:
        raise ValidationError({"file": ["The previewed file expired: upload it again."]}) from None
    if found.get("project") != project.pk or found.get("user") != user.pk or not default_storage.exists(found["path"]):
        raise ValidationError({"file": ["The previewed file is gone: upload it again."]})
    with default_storage.open(found["path"], "rb") as handle:
        return found["path"], found.get("name", "jira.csv"), handle.read()


def _pending_prune() -> None:
    try:
        _, files = default_storage.listdir(PENDING_DIR)
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = timezone.now() - datetime.timedelta(seconds=PENDING_MAX_AGE)
    for name in files:
        path = f"{PENDING_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError):
            continue


# --- starting and running an import -----------------------------------------------------------


@transaction.atomic
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


# --- the writes ---------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Text with no Markdown syntax at all renders to bare paragraphs: built directly, it
# costs microseconds instead of a Markdown parser per text (most Jira comments are plain).
PLAIN_CHARS = re.compile(r"[`*_\[\]<>&\\|~{}\t]")  # Markdown syntax, HTML, entities
LINE_START = re.compile(r"^(?:\s|[#>\-+*:=]|\d+[.)])", re.M)


def plain_paragraphs(text: str) -> str | None:
    """The HTML render_markdown gives a text without Markdown syntax, or None when the text
    may hold some (then the full renderer runs)."""
    if PLAIN_CHARS.search(text) or LINE_START.search(text) or re.search(r"[ \t]\n|\s$", text):
        return None
    # No <, > or & got through PLAIN_CHARS: nothing to escape nor to sanitize.
    return "\n".join(f"<p>{p}</p>" for p in re.split(r"\n\s*\n", text) if p)


class _Renderer:
    """Markdown to HTML once per distinct text (Jira descriptions repeat templates)."""

    def __init__(self):
        self.cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if not text:
            return ""
        if text not in self.cache:
            if len(self.cache) > 5000:
                self.cache.clear()
            self.cache[text] = plain_paragraphs(text) or render_markdown(text)
        return self.cache[text]


def _sprints_create(project: Project, plan: Plan) -> dict[str, int]:
    """Jira sprint name -> sprint id; missing sprints are created, in name order, as
    consecutive two-week sprints whose last one starts today (Jira's CSV has no sprint
    dates), planned: start and complete them on the sprint page."""
    missing = sorted((n for n, s in plan.sprints.items() if s is None), key=natural_key)
    today = timezone.localdate()
    created = Sprint.objects.bulk_create(
        Sprint(
            project=project,
            name=name,
            start_date=today - datetime.timedelta(days=SPRINT_DAYS * (len(missing) - 1 - i)),
            end_date=today - datetime.timedelta(days=SPRINT_DAYS * (len(missing) - 1 - i) - SPRINT_DAYS + 1),
        )
        for i, name in enumerate(missing)
    )
    ids = {name: s.pk for name, s in plan.sprints.items() if s is not None}
    ids.update({s.name: s.pk for s in created})
    return ids


def _labels_create(project: Project, plan: Plan) -> dict[str, int]:
    missing = [name for name, label_id in plan.labels.items() if label_id is None]
    if missing:
        Label.objects.bulk_create([Label(project=project, name=n) for n in missing], ignore_conflicts=True)
    return dict(Label.objects.filter(project=project, name__in=list(plan.labels)).values_list("name", "id"))


def _fields_create(project: Project, plan: Plan, errors: list[str]) -> dict[str, str]:
    """Kept column -> custom field key; a text field is created per new column. A column
    whose key already names a field of another type is skipped (and said so)."""
    wanted = {name: column_key(name) for name in plan.keep_columns}
    existing = {f.key: f for f in CustomField.objects.filter(project=project, key__in=list(wanted.values()))}
    position = CustomField.objects.filter(project=project).aggregate(m=Max("position"))["m"] or 0
    new, keys = [], {}
    for name, key in wanted.items():
        field_ = existing.get(key)
        if field_ is None and key not in {f.key for f in new}:
            position += 1
            new.append(
                CustomField(
                    project=project,
                    key=key,
                    name=column_label(name),
                    field_type=CustomFieldType.TEXT,
                    position=position,
                )
            )
        elif field_ is not None and field_.field_type != CustomFieldType.TEXT:
            errors.append(f"Column “{name}” skipped: the field {key} is a {field_.get_field_type_display()} field.")
            continue
        keys[name] = key
    CustomField.objects.bulk_create(new)
    if new:
        live.announce(project_id=project.pk, kind="fields.changed")
    return keys


def jira_apply(*, project: Project, jira: JiraFile, options: dict, actor=None, progress=None) -> dict:
    """Import (or re-import) `jira` into `project` in one transaction. Returns the counts,
    the errors a user can act on and a summary."""
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        plan = jira_plan(project=locked, jira=jira, options=options)
        errors = list(jira.errors)
        sprint_ids = _sprints_create(locked, plan)
        label_ids = _labels_create(locked, plan)
        field_keys = _fields_create(locked, plan, errors)
        writer = _TicketWriter(locked, plan, sprint_ids, label_ids, field_keys, actor, errors)
        # In Jira key order (an export lists the newest first): numbers and backlog order follow it.
        issues = sorted(jira.issues, key=lambda issue: natural_key(issue.key))
        for start in range(0, len(jira.issues), BATCH):
            writer.write(issues[start : start + BATCH])
            if progress is not None:
                progress(min(start + BATCH, len(jira.issues)))
        linked = writer.link_parents()
        live.announce(project_id=locked.pk, kind="tickets.imported")
    unmatched = sorted(name for name, uid in plan.users.items() if uid is None)
    if plan.unresolved_parents:
        errors.append(f"{len(plan.unresolved_parents)} parent or epic links point outside the file and the project.")
    return {
        "created": writer.created,
        "updated": writer.updated,
        "errors": errors[:200],
        "unchanged": writer.unchanged,
        "comments": writer.comments,
        "parents_linked": linked,
        "sprints_created": sum(1 for s in plan.sprints.values() if s is None),
        "labels_created": sum(1 for label_id in plan.labels.values() if label_id is None),
        "custom_fields": sorted(set(field_keys.values())),
        "unmatched_users": unmatched[:100],
    }


def _bulk_create_dated(model, rows: list) -> None:
    """Insert rows keeping their own created_at (Jira's): auto_now_add would stamp "now".
    On PostgreSQL the rows go in as given (the insert query in raw mode, as loaddata writes
    fixtures, by batches, ids returned); elsewhere bulk_create and one update of the dates."""
    now = timezone.now()
    for row in rows:
        row.updated_at = now
    if connection.vendor != "postgresql":
        dates = [row.created_at for row in rows]
        model.objects.bulk_create(rows, batch_size=BATCH)
        _update_by_id(model, "created_at", [(row.pk, created) for row, created in zip(rows, dates, strict=True)])
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        returned = model.objects._insert(batch, fields=fields, returning_fields=meta.db_returning_fields, raw=True)
        for row, values in zip(batch, returned, strict=True):
            for returned_field, value in zip(meta.db_returning_fields, values, strict=True):
                setattr(row, returned_field.attname, value)
            row._state.adding, row._state.db = False, connection.alias


def _update_by_id(model, name: str, pairs: list[tuple[int, object]]) -> None:
    """Set one column of many rows, each to its own value: on PostgreSQL one UPDATE ... FROM
    unnest(ids, values) per 5,000 rows (bulk_update's CASE costs a comparison per row and
    id); elsewhere bulk_update."""
    if not pairs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update([model(pk=pk, **{name: value}) for pk, value in pairs], [name], batch_size=BATCH)
        return
    field_ = model._meta.get_field(name)
    column = connection.ops.quote_name(field_.column)
    cast = {"created_at": "timestamptz"}.get(name, "bigint")
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), 5000):
            chunk = pairs[start : start + 5000]
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.value "
                f"FROM unnest(%s::bigint[], %s::{cast}[]) AS v(id, value) WHERE t.id = v.id",
                [[pk for pk, _ in chunk], [value for _, value in chunk]],
            )


class _TicketWriter:
    """Creates or updates the tickets of one batch of issues at a time, with their labels,
    comments and history lines; links parents once every ticket exists."""

    FIELDS = (
        "title",
        "description",
        "description_html",
        "type",
        "status_id",
        "priority",
        "assignee_id",
        "reporter_id",
        "estimate",
        "sprint_id",
        "due_date",
        "custom_fields",
        "finished_at",
    )
    HISTORY = (
        "title",
        "description",
        "type",
        "status_id",
        "priority",
        "assignee_id",
        "estimate",
        "sprint_id",
        "due_date",
    )

    def __init__(self, project, plan: Plan, sprint_ids, label_ids, field_keys, actor, errors):
        self.project, self.plan = project, plan
        self.sprint_ids, self.label_ids, self.field_keys = sprint_ids, label_ids, field_keys
        self.actor, self.errors = actor, errors
        self.render = _Renderer()
        self.counter = project.ticket_counter
        self.numbers = set(Ticket.objects.filter(project=project).values_list("number", flat=True))
        top = Ticket.objects.filter(project=project).aggregate(m=Max("rank"))["m"] or 0
        self.rank = top
        self.ids: dict[str, int] = {}  # Jira key -> ticket id
        self.parent_now: dict[str, int | None] = {}
        self.created = self.updated = self.unchanged = self.comments = 0
        self.description_limit = text_limit("projects.Ticket", "description")
        self.comment_limit = text_limit("projects.Comment", "body")

    def _values(self, issue: JiraIssue) -> dict:
        slug = self.plan.statuses[issue.status][0] if issue.status else None
        status = self.plan.status_ids.get(slug) if slug else None
        if status is None:
            status = next(iter(self.plan.status_ids.values()))
        description = issue.description
        if len(description) > self.description_limit:
            self.errors.append(f"{issue.key}: description cut to {self.description_limit:,} characters.")
            description = _clip(description, self.description_limit)
        custom = {}
        for name, key in self.field_keys.items():
            value = issue.extra.get(name)
            if value:
                custom[key] = _clip(value, 2000)
        finished = (issue.resolved or issue.updated or timezone.now()) if status.is_finished else None
        return {
            "title": issue.summary,
            "description": description,
            "type": map_issue_type(issue.issue_type),
            "status_id": status.pk,
            "priority": map_priority(issue.priority),
            "assignee_id": self.plan.users.get(issue.assignee) if issue.assignee else None,
            "reporter_id": self.plan.users.get(issue.reporter) if issue.reporter else None,
            "estimate": issue.estimate,
            "sprint_id": self.sprint_ids.get(issue.sprint) if issue.sprint else None,
            "due_date": issue.due_date,
            "custom_fields": custom,
            "finished": finished,
        }

    def write(self, issues: list[JiraIssue]) -> None:
        existing = {
            t.external_ref: t
            for t in Ticket.objects.filter(project=self.project, external_ref__in=[i.key for i in issues])
        }
        label_rows = Ticket.labels.through.objects.filter(ticket_id__in=[t.pk for t in existing.values()])
        current_labels: dict[int, set[int]] = {}
        for ticket_id, label_id in label_rows.values_list("ticket_id", "label_id"):
            current_labels.setdefault(ticket_id, set()).add(label_id)
        new, changed, events, wanted_labels = [], [], [], {}
        now = timezone.now()
        for issue in issues:
            values = self._values(issue)
            finished = values.pop("finished")
            ticket = existing.get(issue.key)
            if ticket is None:
                number = self._number(issue.key)
                self.rank += RANK_GAP
                ticket = Ticket(
                    project=self.project,
                    number=number,
                    key=f"{self.project.key}-{number}",
                    external_ref=issue.key,
                    rank=self.rank,
                    description_html=self.render(values["description"]),
                    finished_at=finished,
                    **values,
                )
                ticket.created_at = issue.created or now
                new.append(ticket)
            else:
                diff = self._update(ticket, values, finished, issue)
                if diff:
                    changed.append(ticket)
                    events.extend(
                        TicketEvent(
                            ticket=ticket,
                            actor=self.actor,
                            kind=TicketEvent.Kind.CHANGED,
                            field=name.removesuffix("_id"),
                            old_value=old,
                            new_value=new_value,
                            data={"import": "jira"},
                        )
                        for name, old, new_value in diff
                    )
                self.parent_now[issue.key] = ticket.parent_id
            wanted_labels[issue.key] = {self.label_ids[n] for n in issue.labels if n in self.label_ids}
        if new:
            _bulk_create_dated(Ticket, new)
            events.extend(
                TicketEvent(
                    ticket=t,
                    actor=self.actor,
                    kind=TicketEvent.Kind.CREATED,
                    new_value=t.title,
                    data={"sprint_id": t.sprint_id, "import": "jira", "external_ref": t.external_ref},
                )
                for t in new
            )
            Project.objects.filter(pk=self.project.pk).update(ticket_counter=self.counter)
            for ticket in new:
                self.parent_now[ticket.external_ref] = None
        label_changed = self._labels(existing, new, current_labels, wanted_labels)
        for ticket in existing.values():
            if ticket.pk in label_changed and ticket not in changed:
                ticket.version += 1
                changed.append(ticket)
        if changed:
            for ticket in changed:
                ticket.updated_at = now
            Ticket.objects.bulk_update(changed, [*self.FIELDS, "version", "updated_at"], batch_size=BATCH)
        TicketEvent.objects.bulk_create(events, batch_size=BATCH)
        self.created += len(new)
        self.updated += len(changed)
        self.unchanged += len(existing) - len(changed)
        for ticket in [*new, *existing.values()]:
            self.ids[ticket.external_ref] = ticket.pk
        self._comments(issues)

    def _number(self, jira_key: str) -> int:
        """The Jira number when the project has the Jira project's key and the number is
        free (ML-42 stays ML-42), else the next free number."""
        prefix, _, digits = jira_key.rpartition("-")
        number = int(digits) if prefix == self.project.key and digits.isdigit() else 0
        if not 0 < number <= 2_000_000_000 or number in self.numbers:
            number = self.counter + 1
            while number in self.numbers:
                number += 1
        self.numbers.add(number)
        self.counter = max(self.counter, number)
        return number

    def _update(self, ticket: Ticket, values: dict, finished, issue: JiraIssue) -> list[tuple[str, str, str]]:
        """Set what the file changed. Returns a history line (field, old, new) per changed
        field; an empty list when nothing changed."""
        if issue.assignee and values["assignee_id"] is None:
            values["assignee_id"] = ticket.assignee_id  # an unmatched name keeps who is assigned here
        if issue.reporter and values["reporter_id"] is None:
            values["reporter_id"] = ticket.reporter_id
        values["custom_fields"] = {**ticket.custom_fields, **values["custom_fields"]}
        diff = []
        for name, value in values.items():
            old = getattr(ticket, name)
            if old == value:
                continue
            shown = name if name in self.HISTORY else "imported fields"
            diff.append((shown, "" if old is None or name not in self.HISTORY else str(old), ""))
            if name in self.HISTORY:
                diff[-1] = (shown, diff[-1][1], "" if value is None else str(value))
            setattr(ticket, name, value)
        if not diff:
            return []
        if any(name == "description" for name, *_ in diff):
            ticket.description_html = self.render(ticket.description)
        status = next(s for s in self.plan.status_ids.values() if s.pk == ticket.status_id)
        if not status.is_finished:
            ticket.finished_at = None
        elif ticket.finished_at is None:
            ticket.finished_at = finished
        ticket.version += 1
        history = [d for d in diff if d[0] != "imported fields"]
        return history or [("imported fields", "", "")]

    def _labels(self, existing, new, current, wanted) -> set[int]:
        """The labels each ticket has in the file, exactly; returns ids of tickets that changed."""
        through = Ticket.labels.through
        add, remove, changed = [], [], set()
        existing_ids = {t.pk for t in existing.values()}
        for ticket in [*existing.values(), *new]:
            want = wanted.get(ticket.external_ref, set())
            have = current.get(ticket.pk, set())
            add.extend(through(ticket_id=ticket.pk, label_id=label_id) for label_id in want - have)
            remove.extend((ticket.pk, label_id) for label_id in have - want)
            if want != have and ticket.pk in existing_ids:
                changed.add(ticket.pk)
        through.objects.bulk_create(add, batch_size=BATCH, ignore_conflicts=True)
        if remove:
            by_ticket: dict[int, list[int]] = {}
            for ticket_id, label_id in remove:
                by_ticket.setdefault(ticket_id, []).append(label_id)
            for ticket_id, label_ids in by_ticket.items():
                through.objects.filter(ticket_id=ticket_id, label_id__in=label_ids).delete()
        return changed

    def _comments(self, issues: list[JiraIssue]) -> None:
        """Comments not imported before (same ticket, body and time), with their Jira time;
        an author who is no member is named in the body."""
        ids = [self.ids[i.key] for i in issues if i.comments]
        if not ids:
            return
        seen_at, seen = set(), set()
        for ticket_id, body, created in Comment.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "body", "created_at"
        ):
            raw = JIRA_AUTHOR_NOTE.sub("", body, count=1)
            seen.add((ticket_id, raw))
            seen_at.add((ticket_id, raw, created))
        new = []
        for issue in issues:
            ticket_id = self.ids[issue.key]
            for jira_comment in issue.comments:
                raw = _clip(jira_comment.body, self.comment_limit - 250)
                key = (ticket_id, raw)
                if (jira_comment.created and (*key, jira_comment.created) in seen_at) or (
                    not jira_comment.created and key in seen
                ):
                    continue
                seen.add(key)
                if jira_comment.created:
                    seen_at.add((*key, jira_comment.created))
                author = self.plan.users.get(jira_comment.author) if jira_comment.author else None
                body = raw
                if author is None and jira_comment.author:
                    name = "a Jira user" if ":" in jira_comment.author else jira_comment.author[:100]
                    body = f"**{name}** (Jira):\n\n{raw}"
                comment = Comment(ticket_id=ticket_id, author_id=author, body=body, body_html=self.render(body))
                comment.created_at = jira_comment.created or timezone.now()
                new.append(comment)
        if new:
            _bulk_create_dated(Comment, new)
            self.comments += len(new)

    def link_parents(self) -> int:
        """Set each ticket's parent (epic or story) from the file, once every ticket exists."""
        if not self.plan.parents and not any(self.parent_now.values()):
            return 0
        missing = [k for k in self.plan.parents.values() if k not in self.ids]
        if missing:
            self.ids.update(
                Ticket.objects.filter(project=self.project, external_ref__in=missing).values_list("external_ref", "id")
            )
        changed = []
        for key, ticket_id in self.ids.items():
            parent_key = self.plan.parents.get(key)
            want = self.ids.get(parent_key) if parent_key else None
            if want != self.parent_now.get(key) and key in self.parent_now:
                changed.append(Ticket(pk=ticket_id, parent_id=want))
        # A parent whose own parent is the child would loop: Jira never exports one, but a
        # re-import after a move here could; such a link is dropped.
        parent_of = {t.pk: t.parent_id for t in changed}
        for ticket in changed:
            seen, node = {ticket.pk}, ticket.parent_id
            while node is not None:
                if node in seen:
                    ticket.parent_id = None
                    self.errors.append(f"Ticket {ticket.pk}: its parent link would make a loop and was dropped.")
                    break
                seen.add(node)
                node = parent_of.get(node)
        _update_by_id(Ticket, "parent", [(t.pk, t.parent_id) for t in changed])
        return sum(1 for t in changed if t.parent_id is not None)


def import_jobs_recent(*, project: Project, limit: int = 5):
    return list(
        ImportJob.objects.filter(project=project, kind=ImportJob.Kind.JIRA)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )

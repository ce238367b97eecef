"""The file, the choices and the preview: what an import would do, read only (a fixed
number of queries whatever the file's size), and a previewed upload waiting for its import."""

import datetime
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signing import BadSignature, TimestampSigner
from django.utils import timezone

from projects.models import (
    Label,
    Membership,
    Project,
    Sprint,
    Ticket,
    WorkflowStatus,
)

from ..jira_csv import (
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

PREVIEW_ROWS = 20
PENDING_DIR = "imports/pending"
PENDING_MAX_AGE = 24 * 3600  # seconds a previewed upload may wait for its import


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

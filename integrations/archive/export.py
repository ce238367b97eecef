"""A whole project as a zip: `project.json` (every part, objects referring to each other by
natural keys or archive-local refs, never by this database's ids) and `attachments/...`.

Refs: a sprint, comment, risk, exit criterion, doc and MLflow source is numbered 1, 2, ... in
the archive (its `ref`), in the order of the rows' ids; tickets are their numbers; users their
usernames (with e-mail and names once in `users`); statuses their slugs; labels their names.
What is derived (HTML, doc link tables, search text) is not carried: the import renders it
again from the Markdown."""

import datetime
import io
import json
import zipfile

from django.contrib.auth import get_user_model
from django.utils import timezone

from docs_hub.models import Doc, DocAttachment, DocRevision, DocSlugAlias, DocTemplate, StatusReport
from experiments.models import (
    Experiment,
    MetricGate,
    MlflowSource,
    Run,
    RunLink,
    RunTablePreference,
    Sentinel,
    Target,
)
from projects.models import (
    Comment,
    CustomField,
    ExitCriterion,
    Label,
    Membership,
    Milestone,
    PhaseTransition,
    Project,
    Risk,
    SavedView,
    Sprint,
    Ticket,
    TicketEvent,
    TicketRelation,
    WorkflowStatus,
)

from .format import EVENT_DATA_REFS, FORMAT, FORMAT_VERSION, PROJECT_FIELDS, RUN_FIELDS, attachment_member

User = get_user_model()


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class _Users:
    """Usernames referenced by the archive, kept to list them once under `users`."""

    def __init__(self):
        self.names: set[str] = set()

    def __call__(self, username: str | None) -> str | None:
        if username:
            self.names.add(username)
        return username or None


def _renamed(row: dict, old: str, new: str, convert) -> dict:
    """The row with `old` taken out and put back converted as `new`."""
    value = row.pop(old)
    row[new] = convert(value)
    return row


def _refs(ids) -> dict[int, int]:
    return {pk: n for n, pk in enumerate(sorted(ids), start=1)}


def _values(queryset, *fields, **renamed):
    """Rows as dicts, with `renamed` fields (archive name -> lookup)."""
    lookups = [*fields, *renamed.values()]
    back = {lookup: name for name, lookup in renamed.items()}
    return [{back.get(k, k): v for k, v in row.items()} for row in queryset.values(*lookups)]


def project_archive_data(project: Project) -> tuple[dict, list[tuple[str, DocAttachment]]]:
    """Everything of `project` as the archive's JSON, and the attachments to add to the zip."""
    user = _Users()
    data: dict = {"format": FORMAT, "version": FORMAT_VERSION, "exported_at": timezone.now()}
    fields = _values(Project.objects.filter(pk=project.pk), *PROJECT_FIELDS, created_by="created_by__username")[0]
    fields["created_by"] = user(fields["created_by"])
    data["project"] = fields
    data["members"] = [
        {"user": user(row["user"]), "role": row["role"], "created_at": row["created_at"]}
        for row in _values(
            Membership.objects.filter(project=project).order_by("user__username"),
            "role",
            "created_at",
            user="user__username",
        )
    ]
    data["statuses"] = _values(
        WorkflowStatus.objects.filter(project=project).order_by("position", "id"),
        "slug",
        "name",
        "position",
        "is_finished",
        "wip_limit",
    )
    data["labels"] = _values(Label.objects.filter(project=project).order_by("name"), "name", "color")
    data["custom_fields"] = _values(
        CustomField.objects.filter(project=project).order_by("position", "id"),
        "key",
        "name",
        "field_type",
        "options",
        "position",
        "show_on_card",
        "created_at",
    )

    sprint_rows = list(Sprint.objects.filter(project=project).order_by("id").values())
    sprint_ref = _refs(row["id"] for row in sprint_rows)
    data["sprints"] = [
        {
            "ref": sprint_ref[row["id"]],
            **{
                k: row[k]
                for k in (
                    "name",
                    "goal",
                    "start_date",
                    "end_date",
                    "capacity",
                    "state",
                    "started_at",
                    "completed_at",
                    "created_at",
                )
            },
        }
        for row in sprint_rows
    ]

    tickets = list(
        Ticket.objects.filter(project=project)
        .order_by("number")
        .values(
            "id",
            "number",
            "title",
            "description",
            "type",
            "status__slug",
            "priority",
            "assignee__username",
            "reporter__username",
            "estimate",
            "sprint_id",
            "due_date",
            "parent__number",
            "acceptance_criteria",
            "rank",
            "version",
            "custom_fields",
            "alert_fingerprint",
            "external_ref",
            "finished_at",
            "created_at",
            "updated_at",
        )
    )
    number_of = {row["id"]: row["number"] for row in tickets}
    labels_of: dict[int, list[str]] = {}
    for ticket_id, name in (
        Ticket.labels.through.objects.filter(ticket__project=project)
        .order_by("label__name")
        .values_list("ticket_id", "label__name")
    ):
        labels_of.setdefault(ticket_id, []).append(name)
    comments_of: dict[int, list[dict]] = {}
    comment_ref: dict[int, int] = {}
    comment_rows = list(
        Comment.objects.filter(ticket__project=project)
        .order_by("ticket__number", "created_at", "id")
        .values("id", "ticket_id", "author__username", "body", "created_at", "updated_at")
    )
    for n, row in enumerate(comment_rows, start=1):
        comment_ref[row["id"]] = n
        comments_of.setdefault(row["ticket_id"], []).append(
            {
                "ref": n,
                "author": user(row["author__username"]),
                "body": row["body"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }
        )
    risk_ids = list(Risk.objects.filter(project=project).order_by("id").values_list("id", flat=True))
    risk_ref = _refs(risk_ids)
    ref_maps = {"sprint": sprint_ref, "comment": comment_ref, "risk": risk_ref}
    events_of: dict[int, list[dict]] = {}
    for row in (
        TicketEvent.objects.filter(ticket__project=project)
        .order_by("ticket__number", "created_at", "id")
        .values("ticket_id", "actor__username", "kind", "field", "old_value", "new_value", "data", "created_at")
    ):
        event_data = dict(row["data"] or {})
        for key, kind in EVENT_DATA_REFS.items():
            if isinstance(event_data.get(key), int):
                event_data[key] = ref_maps[kind].get(event_data[key])
        events_of.setdefault(row["ticket_id"], []).append(
            {
                "actor": user(row["actor__username"]),
                "kind": row["kind"],
                "field": row["field"],
                "old_value": row["old_value"],
                "new_value": row["new_value"],
                "data": event_data,
                "created_at": row["created_at"],
            }
        )
    data["tickets"] = [
        {
            "number": row["number"],
            "title": row["title"],
            "description": row["description"],
            "type": row["type"],
            "status": row["status__slug"],
            "priority": row["priority"],
            "assignee": user(row["assignee__username"]),
            "reporter": user(row["reporter__username"]),
            "estimate": row["estimate"],
            "labels": labels_of.get(row["id"], []),
            "sprint": sprint_ref.get(row["sprint_id"]),
            "due_date": row["due_date"],
            "parent": row["parent__number"],
            "acceptance_criteria": row["acceptance_criteria"],
            "rank": row["rank"],
            "version": row["version"],
            "custom_fields": row["custom_fields"],
            "alert_fingerprint": row["alert_fingerprint"],
            "external_ref": row["external_ref"],
            "finished_at": row["finished_at"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "comments": comments_of.get(row["id"], []),
            "events": events_of.get(row["id"], []),
        }
        for row in tickets
    ]
    data["relations"] = [
        {
            "source": row["source__number"],
            "target": row["target__number"],
            "kind": row["kind"],
            "created_by": user(row["created_by__username"]),
            "created_at": row["created_at"],
        }
        for row in TicketRelation.objects.filter(source__project=project)
        .order_by("source__number", "target__number", "kind")
        .values("source__number", "target__number", "kind", "created_by__username", "created_at")
    ]
    views = []
    for row in (
        SavedView.objects.filter(project=project)
        .order_by("owner__username", "name")
        .values("owner__username", "name", "filters", "shared", "created_at")
    ):
        filters = dict(row["filters"] or {})
        sprint = str(filters.get("sprint", ""))
        if sprint.isdigit():  # a sprint by id: by its archive ref instead
            filters["sprint"] = f"ref:{sprint_ref.get(int(sprint), 0)}"
        views.append(
            {
                "owner": user(row["owner__username"]),
                "name": row["name"],
                "filters": filters,
                "shared": row["shared"],
                "created_at": row["created_at"],
            }
        )
    data["saved_views"] = views

    risk_tickets: dict[int, list[int]] = {}
    for risk_id, ticket_id in Risk.tickets.through.objects.filter(risk__project=project).values_list(
        "risk_id", "ticket_id"
    ):
        risk_tickets.setdefault(risk_id, []).append(number_of[ticket_id])
    data["risks"] = [
        {
            "ref": risk_ref[row["id"]],
            "title": row["title"],
            "description": row["description"],
            "likelihood": row["likelihood"],
            "impact": row["impact"],
            "owner": user(row["owner__username"]),
            "mitigation": row["mitigation"],
            "status": row["status"],
            "review_date": row["review_date"],
            "tickets": sorted(risk_tickets.get(row["id"], [])),
            "version": row["version"],
            "created_by": user(row["created_by__username"]),
            "closed_at": row["closed_at"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
        for row in Risk.objects.filter(project=project)
        .order_by("id")
        .values(
            "id",
            "title",
            "description",
            "likelihood",
            "impact",
            "owner__username",
            "mitigation",
            "status",
            "review_date",
            "version",
            "created_by__username",
            "closed_at",
            "created_at",
            "updated_at",
        )
    ]

    criteria = list(
        ExitCriterion.objects.filter(project=project)
        .order_by("id")
        .values("id", "phase", "text", "position", "done", "done_by__username", "done_at", "created_at")
    )
    criterion_ref = _refs(row["id"] for row in criteria)
    data["exit_criteria"] = [
        {
            "ref": criterion_ref[row["id"]],
            "phase": row["phase"],
            "text": row["text"],
            "position": row["position"],
            "done": row["done"],
            "done_by": user(row["done_by__username"]),
            "done_at": row["done_at"],
            "created_at": row["created_at"],
        }
        for row in criteria
    ]
    transitions = []
    for row in (
        PhaseTransition.objects.filter(project=project)
        .order_by("id")
        .values("from_phase", "to_phase", "actor__username", "checklist", "overridden", "override_reason", "created_at")
    ):
        checklist = []
        for item in row["checklist"] or []:
            item = dict(item) if isinstance(item, dict) else {}
            item["ref"] = criterion_ref.get(item.pop("id", None))  # the criterion, by its archive ref
            user(item.get("done_by") if isinstance(item.get("done_by"), str) else None)
            checklist.append(item)
        transitions.append(
            {
                "from_phase": row["from_phase"],
                "to_phase": row["to_phase"],
                "actor": user(row["actor__username"]),
                "checklist": checklist,
                "overridden": row["overridden"],
                "override_reason": row["override_reason"],
                "created_at": row["created_at"],
            }
        )
    data["phase_transitions"] = transitions
    epics_of: dict[int, list[int]] = {}
    for milestone_id, ticket_id in Milestone.epics.through.objects.filter(milestone__project=project).values_list(
        "milestone_id", "ticket_id"
    ):
        epics_of.setdefault(milestone_id, []).append(number_of[ticket_id])
    data["milestones"] = [
        {
            "name": row["name"],
            "description": row["description"],
            "due_date": row["due_date"],
            "completed_at": row["completed_at"],
            "epics": sorted(epics_of.get(row["id"], [])),
            "version": row["version"],
            "created_by": user(row["created_by__username"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
        for row in Milestone.objects.filter(project=project)
        .order_by("id")
        .values(
            "id",
            "name",
            "description",
            "due_date",
            "completed_at",
            "version",
            "created_by__username",
            "created_at",
            "updated_at",
        )
    ]

    attachments: list[tuple[str, DocAttachment]] = []
    data["docs"] = _docs(project, user, attachments)
    doc_ref = {doc["_id"]: doc["ref"] for doc in data["docs"]}
    for doc in data["docs"]:
        del doc["_id"]
    data["doc_templates"] = [
        _renamed(row, "created_by", "created_by", user)
        for row in _values(
            DocTemplate.objects.filter(project=project).order_by("slug"),
            "slug",
            "name",
            "description",
            "body",
            "created_at",
            created_by="created_by__username",
        )
    ]
    data["status_reports"] = [
        {
            "doc": doc_ref.get(row["doc_id"]),
            "period": row["period"],
            "trigger": row["trigger"],
            "created_by": user(row["created_by__username"]),
            "generated_at": row["generated_at"],
            "figures": row["figures"],
        }
        for row in StatusReport.objects.filter(project=project)
        .order_by("id")
        .values("doc_id", "period", "trigger", "created_by__username", "generated_at", "figures")
    ]
    data["mlflow"] = _mlflow(project, user, number_of)
    data["users"] = _values(
        User.objects.filter(username__in=user.names).order_by("username"),
        "username",
        "email",
        "display_name",
        "first_name",
        "last_name",
    )
    return data, attachments


def _docs(project: Project, user: _Users, attachments: list) -> list[dict]:
    rows = list(
        Doc.objects.filter(project=project)
        .order_by("id")
        .values(
            "id",
            "parent_id",
            "position",
            "title",
            "slug",
            "body",
            "version",
            "created_by__username",
            "updated_by__username",
            "created_at",
            "updated_at",
            "deleted_at",
            "deleted_by__username",
        )
    )
    ref = _refs(row["id"] for row in rows)
    revisions: dict[int, list[dict]] = {}
    for row in (
        DocRevision.objects.filter(doc__project=project)
        .order_by("doc_id", "version")
        .values("doc_id", "version", "title", "body", "macro_values", "message", "author__username", "created_at")
    ):
        revisions.setdefault(row.pop("doc_id"), []).append(_renamed(row, "author__username", "author", user))
    aliases: dict[int, list[dict]] = {}
    for row in (
        DocSlugAlias.objects.filter(doc__project=project)
        .order_by("slug")
        .values("doc_id", "slug", "title", "created_at")
    ):
        aliases.setdefault(row.pop("doc_id"), []).append(row)
    files: dict[int, list[dict]] = {}
    for attachment in DocAttachment.objects.filter(doc__project=project).select_related("uploaded_by").order_by("id"):
        if not attachment.file.storage.exists(attachment.file.name):
            continue  # its file is gone from the disk: nothing to carry
        listed = files.setdefault(attachment.doc_id, [])
        member = attachment_member(ref[attachment.doc_id], len(listed) + 1, attachment.name)
        listed.append(
            {
                "file": member,
                "name": attachment.name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "uploaded_by": user(attachment.uploaded_by.username if attachment.uploaded_by else None),
                "created_at": attachment.created_at,
            }
        )
        attachments.append((member, attachment))
    return [
        {
            "_id": row["id"],
            "ref": ref[row["id"]],
            "parent": ref.get(row["parent_id"]),
            "position": row["position"],
            "title": row["title"],
            "slug": row["slug"],
            "body": row["body"],
            "version": row["version"],
            "created_by": user(row["created_by__username"]),
            "updated_by": user(row["updated_by__username"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "deleted_at": row["deleted_at"],
            "deleted_by": user(row["deleted_by__username"]),
            "revisions": revisions.get(row["id"], []),
            "aliases": aliases.get(row["id"], []),
            "attachments": files.get(row["id"], []),
        }
        for row in rows
    ]


def _mlflow(project: Project, user: _Users, number_of: dict[int, int]) -> dict:
    """Sources (no secrets), the runs linked to tickets as a snapshot (latest metrics, params,
    tags: no metric histories, which the next sync fetches), their links, gates, targets, the
    sentinel and the users' run-table columns."""
    sources = list(
        MlflowSource.objects.filter(project=project)
        .order_by("id")
        .values(
            "id",
            "name",
            "tracking_uri",
            "experiment_names",
            "username",
            "credentials_from_env",
            "enabled",
            "fast_interval_seconds",
            "reconcile_interval_seconds",
            "created_by__username",
            "created_at",
        )
    )
    source_ref = _refs(row["id"] for row in sources)
    for row in sources:
        row["ref"] = source_ref[row.pop("id")]
        row["created_by"] = user(row.pop("created_by__username"))
    linked = Run.objects.filter(project=project, links__isnull=False).distinct()
    runs = list(linked.order_by("source_id", "run_id").values("source_id", "experiment__experiment_id", *RUN_FIELDS))
    for row in runs:
        row["source"] = source_ref[row.pop("source_id")]
        row["experiment_id"] = row.pop("experiment__experiment_id")
    experiments = [
        _renamed(row, "source_id", "source", source_ref.__getitem__)
        for row in Experiment.objects.filter(runs__in=linked)
        .distinct()
        .order_by("source_id", "experiment_id")
        .values("source_id", "experiment_id", "name", "lifecycle_stage", "artifact_location")
    ]
    links = [
        {
            "source": source_ref[row["run__source_id"]],
            "run_id": row["run__run_id"],
            "ticket": number_of[row["ticket_id"]],
            "origin": row["origin"],
            "active": row["active"],
            "created_by": user(row["created_by__username"]),
            "created_at": row["created_at"],
        }
        for row in RunLink.objects.filter(ticket__project=project)
        .order_by("ticket__number", "run__run_id")
        .values("run__source_id", "run__run_id", "ticket_id", "origin", "active", "created_by__username", "created_at")
    ]
    gates = [
        {
            "ticket": number_of[row["ticket_id"]],
            "metric": row["metric"],
            "op": row["op"],
            "threshold": row["threshold"],
            "created_by": user(row["created_by__username"]),
            "created_at": row["created_at"],
        }
        for row in MetricGate.objects.filter(ticket__project=project)
        .order_by("ticket__number", "metric", "op")
        .values("ticket_id", "metric", "op", "threshold", "created_by__username", "created_at")
    ]
    targets = [
        _renamed(row, "created_by__username", "created_by", user)
        for row in Target.objects.filter(project=project)
        .order_by("metric")
        .values(
            "metric",
            "direction",
            "target",
            "baseline",
            "deadline",
            "primary",
            "created_by__username",
            "created_at",
            "updated_at",
        )
    ]
    sentinel = (
        Sentinel.objects.filter(project=project)
        .values(
            "champion_kind",
            "model_name",
            "alias",
            "champion_run_id",
            "metric",
            "higher_is_better",
            "tolerance",
            "regression_ticket_id",
            "since",
        )
        .first()
    )
    if sentinel is not None:
        sentinel["regression_ticket"] = number_of.get(sentinel.pop("regression_ticket_id"))
    preferences = [
        _renamed(row, "user__username", "user", user)
        for row in RunTablePreference.objects.filter(project=project)
        .order_by("user__username")
        .values("user__username", "metrics", "params")
    ]
    return {
        "sources": sources,
        "experiments": experiments,
        "runs": runs,
        "run_links": links,
        "gates": gates,
        "targets": targets,
        "sentinel": sentinel,
        "run_table_preferences": preferences,
    }


def project_export(project: Project) -> bytes:
    """The project as a zip archive (bytes): `project.json` and the doc attachments."""
    data, attachments = project_archive_data(project)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.json", json.dumps(data, default=_jsonable, indent=1, ensure_ascii=False))
        for member, attachment in attachments:
            with attachment.file.open("rb") as handle:
                archive.writestr(member, handle.read())
    return buffer.getvalue()

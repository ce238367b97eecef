"""Writes for tickets: creation with a race-free key, edits that refuse stale versions and
leave one history line per changed field (projects/events.py), bulk edits, deletion."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aihub.exceptions import StaleVersion
from aihub.limits import text_lengths_check

from .. import live
from ..events import assignment_notify, history_value, ticket_event_record
from ..models import Label, Membership, Project, Sprint, SprintState, Ticket, TicketEvent, WorkflowStatus
from ..ranking import rank_at_end
from ..ticket_links import render_ticket_markdown
from .board import resolve_status, ticket_move
from .fields import custom_field_values_clean

User = get_user_model()

# What ticket_update may change. `status` goes through ticket_move (finish guards, rank).
TICKET_EDITABLE_FIELDS = (
    "title",
    "description",
    "type",
    "status",
    "priority",
    "assignee",
    "estimate",
    "labels",
    "sprint",
    "due_date",
    "parent",
    "acceptance_criteria",
    "custom_fields",
)
SCALAR_FIELDS = ("title", "description", "type", "priority", "estimate", "due_date", "acceptance_criteria")


def _check_relations(project: Project, *, assignee=None, sprint=None, parent=None, ticket: Ticket | None = None):
    errors = {}
    if assignee is not None and not Membership.objects.filter(project=project, user=assignee).exists():
        errors["assignee"] = [f"{assignee.username} is not a member of {project.key}."]
    if sprint is not None:
        if sprint.project_id != project.pk:
            errors["sprint"] = ["This sprint belongs to another project."]
        elif sprint.state == SprintState.COMPLETED:
            errors["sprint"] = [f"{sprint.name} is completed: choose a planned or active sprint."]
    if parent is not None:
        if parent.project_id != project.pk:
            errors["parent"] = ["The parent must be a ticket of the same project."]
        elif ticket is not None:
            ancestor, seen = parent, set()
            while ancestor is not None and ancestor.pk not in seen:
                if ancestor.pk == ticket.pk:
                    errors["parent"] = ["A ticket cannot be its own parent or the parent of its ancestors."]
                    break
                seen.add(ancestor.pk)
                ancestor = ancestor.parent
    if errors:
        raise ValidationError(errors)


def _check_labels(project: Project, labels) -> list[Label]:
    labels = list(labels or [])
    if any(label.project_id != project.pk for label in labels):
        raise ValidationError({"labels": ["A label belongs to another project."]})
    return labels


def _inputs_resolve(project: Project, data: dict) -> dict:
    """Turn what a client sends (status slug, assignee username, sprint id, label names,
    parent key) into objects, with field errors for anything that does not exist in this
    project; objects pass as they are. Unknown label names become new labels (inside the
    caller's transaction: a refused ticket leaves no label behind)."""
    resolved, errors = dict(data), {}
    if "status" in data and not isinstance(data["status"], WorkflowStatus):
        status = WorkflowStatus.objects.filter(project=project, slug=data["status"] or "").first()
        if status is None:
            errors["status"] = [f"“{data['status']}” is not a status of this project's workflow."]
        resolved["status"] = status
    if "assignee" in data and data["assignee"] is not None and not isinstance(data["assignee"], User):
        username = str(data["assignee"]).strip()
        user = User.objects.filter(username=username, memberships__project=project).first() if username else None
        if username and user is None:
            errors["assignee"] = [f"{username} is not a member of {project.key}."]
        resolved["assignee"] = user
    if "sprint" in data and data["sprint"] is not None and not isinstance(data["sprint"], Sprint):
        sprint = Sprint.objects.filter(project=project, pk=data["sprint"]).first()
        if sprint is None:
            errors["sprint"] = [f"No sprint {data['sprint']} in {project.key}."]
        resolved["sprint"] = sprint
    if "parent" in data and data["parent"] is not None and not isinstance(data["parent"], Ticket):
        key = str(data["parent"]).strip()
        parent = Ticket.objects.filter(project=project, key=key).first() if key else None
        if key and parent is None:
            errors["parent"] = [f"No ticket {key} in {project.key}."]
        resolved["parent"] = parent
    if "labels" in data and data["labels"] is not None and not all(isinstance(n, Label) for n in data["labels"]):
        names = list(dict.fromkeys(str(n).strip() for n in data["labels"] if str(n).strip()))
        too_long = [n for n in names if len(n) > 50]
        if too_long:
            errors["labels"] = ["A label is at most 50 characters."]
        else:
            existing = {label.name: label for label in Label.objects.filter(project=project, name__in=names)}
            missing = [Label(project=project, name=n) for n in names if n not in existing]
            if missing:
                Label.objects.bulk_create(missing, ignore_conflicts=True)
                existing = {label.name: label for label in Label.objects.filter(project=project, name__in=names)}
            resolved["labels"] = [existing[n] for n in names]
    if errors:
        raise ValidationError(errors)
    return resolved


@transaction.atomic
def ticket_create(
    *, project: Project, reporter: User | None, title: str, status: WorkflowStatus | str | None = None, **fields
) -> Ticket:
    """Create a ticket numbered KEY-N. The project row is locked while the number is taken,
    so two creators at the same moment never get the same key. Fields may be given as
    objects or as a client writes them (status slug, assignee username, sprint id, label
    names, parent key: see _inputs_resolve)."""
    fields = _inputs_resolve(project, fields if status is None else {**fields, "status": status})
    status = fields.pop("status", None)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if status is None:  # `todo` (the contract's default) while the workflow has it, else its first column
        status = locked.statuses.filter(slug="todo").first() or locked.statuses.order_by("position", "id").first()
    elif status.project_id != project.pk:
        raise ValidationError({"status": ["This status belongs to another project."]})
    text_lengths_check(
        "projects.Ticket", description=fields.get("description"), acceptance_criteria=fields.get("acceptance_criteria")
    )
    labels = _check_labels(locked, fields.pop("labels", None))
    _check_relations(locked, assignee=fields.get("assignee"), sprint=fields.get("sprint"), parent=fields.get("parent"))
    fields["custom_fields"] = custom_field_values_clean(project=locked, values=fields.get("custom_fields") or {})
    locked.ticket_counter += 1
    Project.objects.filter(pk=locked.pk).update(ticket_counter=locked.ticket_counter)
    ticket = Ticket(
        project=locked,
        number=locked.ticket_counter,
        key=f"{locked.key}-{locked.ticket_counter}",
        title=(title or "").strip(),
        status=status,
        reporter=reporter,
        rank=rank_at_end(locked),
        **fields,
    )
    if status.is_finished:
        ticket.finished_at = timezone.now()
    ticket.description_html = render_ticket_markdown(ticket.description, project=locked)
    ticket.acceptance_criteria_html = render_ticket_markdown(ticket.acceptance_criteria, project=locked)
    ticket.full_clean()
    ticket.save()
    if labels:
        ticket.labels.set(labels)
    ticket_event_record(
        ticket=ticket,
        actor=reporter,
        kind=TicketEvent.Kind.CREATED,
        new_value=ticket.title,
        data={"sprint_id": ticket.sprint_id},
    )
    assignment_notify(ticket, reporter)
    live.announce(project_id=project.pk, kind="ticket.created", ticket_key=ticket.key)
    return ticket


def _column_end(ticket: Ticket, status: WorkflowStatus) -> str | None:
    """The key of the last card in `status` (not `ticket`): after it is the column's end."""
    return (
        Ticket.objects.filter(project_id=ticket.project_id, status=status)
        .exclude(pk=ticket.pk)
        .order_by("-rank", "-id")
        .values_list("key", flat=True)
        .first()
    )


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, user: User | None, version: int | None = None, override_reason: str = "", **fields
) -> Ticket:
    """Change some fields of a ticket. A `version` other than the current one raises
    StaleVersion (with the current ticket) and changes nothing. Each changed field leaves
    one history line; the version grows; open pages are told.

    A status change goes through ticket_move, so finish guards apply; the ticket goes to
    the end of its new column. Fields may be given as objects or as a client writes them
    (see _inputs_resolve)."""
    unknown = set(fields) - set(TICKET_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    project = Project.objects.get(pk=ticket.project_id)
    if "status" in fields:  # moves lock the project row first; so do we, in the same order
        project = Project.objects.select_for_update().get(pk=ticket.project_id)
    fields = _inputs_resolve(project, fields)
    current = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("status", "assignee", "sprint", "parent")
        .get(pk=ticket.pk)
    )
    if version is not None and int(version) != current.version:
        raise StaleVersion(current)
    text_lengths_check(
        "projects.Ticket", **{name: fields[name] for name in ("description", "acceptance_criteria") if name in fields}
    )

    if "status" in fields:
        target = resolve_status(project, fields.pop("status"))
        if target.pk != current.status_id:
            ticket_move(
                ticket=current,
                user=user,
                status=target,
                after=_column_end(current, target),
                override_reason=override_reason,
            )
            current = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("status", "assignee", "sprint", "parent")
                .get(pk=ticket.pk)
            )

    _check_relations(
        project,
        assignee=fields.get("assignee"),
        sprint=fields.get("sprint"),
        parent=fields.get("parent"),
        ticket=current,
    )
    changes: list[tuple[str, object, object, dict]] = []
    for name in SCALAR_FIELDS:
        if name in fields:
            value = fields[name]
            if name == "title":
                value = (value or "").strip()
            if value is None and name in ("description", "acceptance_criteria"):
                value = ""
            old = getattr(current, name)
            if old != value:
                setattr(current, name, value)
                changes.append((name, old, value, {}))
    for name in ("assignee", "sprint", "parent"):
        if name in fields:
            value = fields[name]
            old = getattr(current, name)
            if (old.pk if old else None) != (value.pk if value else None):
                setattr(current, name, value)
                data = {"old_id": old.pk if old else None, "new_id": value.pk if value else None}
                changes.append((name, old, value, data))
    if "custom_fields" in fields:
        merged = {**current.custom_fields, **(fields["custom_fields"] or {})}
        cleaned = custom_field_values_clean(project=project, values=merged)
        for key in sorted(set(current.custom_fields) | set(cleaned)):
            old, new = current.custom_fields.get(key), cleaned.get(key)
            if old != new:
                changes.append((f"custom_fields.{key}", old, new, {}))
        current.custom_fields = cleaned
    label_change = None
    if "labels" in fields:
        new_labels = _check_labels(project, fields["labels"])
        old_names = sorted(current.labels.values_list("name", flat=True))
        new_names = sorted(label.name for label in new_labels)
        if old_names != new_names:
            label_change = new_labels
            changes.append(("labels", old_names, new_names, {}))

    if not changes:
        return current
    changed_names = {name for name, *_ in changes}
    if "description" in changed_names:
        current.description_html = render_ticket_markdown(current.description, project=project)
    if "acceptance_criteria" in changed_names:
        current.acceptance_criteria_html = render_ticket_markdown(current.acceptance_criteria, project=project)
    current.version += 1
    current.full_clean()
    current.save()
    if label_change is not None:
        current.labels.set(label_change)
    for name, old, new, data in changes:
        ticket_event_record(
            ticket=current,
            actor=user,
            kind=TicketEvent.Kind.CHANGED,
            field=name,
            old_value=history_value(old),
            new_value=history_value(new),
            data=data,
        )
    if any(name == "assignee" for name, *_ in changes):
        assignment_notify(current, user)
    live.announce(project_id=project.pk, kind="ticket.updated", ticket_key=current.key)
    return current


def tickets_bulk_update(*, tickets: list[Ticket], user: User | None, field: str, value) -> tuple[int, list[str]]:
    """Set one field (as a client writes it: "high", a username, a status slug) on each
    ticket through ticket_update: a history line each, finish guards for a status. Each
    ticket is its own transaction, so one refusal does not undo the others. Answers how
    many tickets changed and the refusals ("KEY: reason")."""
    changed, refused = 0, []
    for ticket in tickets:
        before = ticket.version
        try:
            updated = ticket_update(ticket=ticket, user=user, **{field: value})
        except ValidationError as error:
            refused.append(f"{ticket.key}: {' '.join(error.messages)}")
        else:
            changed += updated.version != before
    return changed, refused


@transaction.atomic
def ticket_delete(*, ticket: Ticket, user: User | None) -> None:
    project_id, key = ticket.project_id, ticket.key
    Ticket.objects.filter(parent=ticket).update(parent=None)
    ticket.delete()
    live.announce(project_id=project_id, kind="ticket.deleted", ticket_key=key)

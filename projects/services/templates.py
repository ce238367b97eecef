"""Writes for project templates: build a new project's structure from a template (called by
`project_create` inside its transaction), save a project's structure as a template, delete
a saved template."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import hooks, selectors
from ..access import Action, role_allows
from ..models import DEFAULT_WORKFLOW, Label, Membership, Project, ProjectTemplate, WorkflowStatus
from .fields import custom_field_create
from .lifecycle import exit_criteria_create
from .tickets import ticket_create

User = get_user_model()


def template_workflow(data: dict | None) -> list[WorkflowStatus]:
    """The statuses (unsaved, without project) a new project starts with: the template's
    workflow, else the default one."""
    rows = (data or {}).get("workflow") or [
        {"slug": slug, "name": name, "is_finished": finished, "wip_limit": None}
        for slug, name, finished in DEFAULT_WORKFLOW
    ]
    statuses = [
        WorkflowStatus(
            slug=str(row["slug"]),
            name=str(row["name"]),
            position=i,
            is_finished=bool(row.get("is_finished")),
            wip_limit=row.get("wip_limit") or None,
        )
        for i, row in enumerate(rows)
    ]
    if not any(status.is_finished for status in statuses) or len({s.slug for s in statuses}) != len(statuses):
        raise ValidationError({"template": ["This template's workflow needs unique statuses and a finished one."]})
    return statuses


def template_apply(*, project: Project, data: dict, user: User | None) -> dict:
    """Give a new project (with its workflow already) the template's labels, custom fields,
    epics with their starter tickets and exit criteria, then run the registered parts (docs,
    targets) with `ticket_keys` ({starter ticket title: key}). In the caller's transaction:
    anything refused undoes the whole project. Returns the data the parts saw."""
    try:
        keys = _apply_structure(project=project, data=data, user=user)
        applied = {**data, "ticket_keys": keys}
        for part in hooks.template_parts:
            part["apply"](project, applied, user)
    except ValidationError as error:
        raise ValidationError(
            {"template": [f"This template could not be applied: {' '.join(error.messages)}"]}
        ) from None
    return applied


def _apply_structure(*, project: Project, data: dict, user: User | None) -> dict[str, str]:
    labels = data.get("labels") or []
    if labels:
        Label.objects.bulk_create(
            [Label(project=project, name=str(row["name"])[:50], color=row.get("color") or "#6b7280") for row in labels],
            ignore_conflicts=True,
        )
    for row in data.get("custom_fields") or []:
        custom_field_create(
            project=project,
            name=row["name"],
            key=row.get("key", ""),
            field_type=row["field_type"],
            options=row.get("options") or [],
            show_on_card=bool(row.get("show_on_card")),
        )
    keys: dict[str, str] = {}
    for epic_row in data.get("epics") or []:
        epic = ticket_create(
            project=project,
            reporter=user,
            title=epic_row["title"],
            type="epic",
            description=epic_row.get("description") or "",
            labels=epic_row.get("labels") or [],
        )
        keys.setdefault(epic.title, epic.key)
        for row in epic_row.get("tickets") or []:
            ticket = ticket_create(
                project=project,
                reporter=user,
                title=row["title"],
                type=row.get("type") or "task",
                description=row.get("description") or "",
                labels=row.get("labels") or [],
                estimate=row.get("estimate"),
                parent=epic,
            )
            keys.setdefault(ticket.title, ticket.key)
    for phase, texts in (data.get("exit_criteria") or {}).items():
        if texts:
            exit_criteria_create(project=project, phase=phase, texts=list(texts))
    return keys


def _check_may_save(project: Project, user: User) -> None:
    role = Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    if not role_allows(role, Action.ADMIN):
        raise PermissionDenied("Only an admin of the project may save it as a template.")


@transaction.atomic
def project_template_save(
    *, project: Project, user: User, name: str, description: str = "", shared: bool = False
) -> ProjectTemplate:
    """Save the project's structure (not its data) as a template. `shared` (everyone on the
    instance may use it) is for staff; otherwise the template is the user's and the project
    members'."""
    _check_may_save(project, user)
    if shared and not user.is_staff:
        raise ValidationError({"shared": ["Only staff may share a template with everyone."]})
    template = ProjectTemplate(
        name=(name or "").strip(),
        description=(description or "").strip(),
        data=selectors.project_structure(project=project),
        source_project=project,
        shared=bool(shared),
        created_by=user,
    )
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def project_template_delete(*, template: ProjectTemplate, user: User) -> None:
    """Its creator, an admin of its source project, or staff may delete a saved template."""
    allowed = user.is_staff or template.created_by_id == user.pk
    if not allowed and template.source_project_id:
        role = (
            Membership.objects.filter(project_id=template.source_project_id, user=user)
            .values_list("role", flat=True)
            .first()
        )
        allowed = role_allows(role, Action.ADMIN)
    if not allowed:
        raise PermissionDenied("Only its creator, an admin of its project or staff may delete this template.")
    template.delete()

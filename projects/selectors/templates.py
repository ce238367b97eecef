"""Reads for project templates: which ones a user may start a project from, one template's
structure, and a project's structure as a template would keep it ("Save as template")."""

from django.db.models import Q, QuerySet

from .. import hooks
from ..models import CustomField, ExitCriterion, Label, ProjectTemplate, Ticket, TicketType, WorkflowStatus
from ..templates_builtin import BUILTIN_PROJECT_TEMPLATES

# What a saved template keeps of a project, at most: the first epics (backlog order) and the
# first starter tickets of each. A template is a starting structure, not a copy of the work.
MAX_TEMPLATE_EPICS = 30
MAX_STARTER_TICKETS_PER_EPIC = 20


def saved_templates_for(*, user) -> QuerySet[ProjectTemplate]:
    """Saved templates the user may use: shared ones (staff marked them for everyone), the
    ones they saved, and the ones saved from a project they are a member of."""
    if not getattr(user, "is_authenticated", False):
        return ProjectTemplate.objects.none()
    visible = Q(shared=True) | Q(created_by=user) | Q(source_project__memberships__user=user)
    return ProjectTemplate.objects.filter(pk__in=ProjectTemplate.objects.filter(visible).values("pk")).order_by(
        "name", "id"
    )


def project_templates_for(*, user) -> list[dict]:
    """[{"id", "name", "description", "builtin"}]: the built-in templates, then the saved ones
    the user may use (one query). Saved templates' ids are their primary keys as text."""
    rows = [
        {"id": t.id, "name": t.name, "description": t.description, "builtin": True}
        for t in BUILTIN_PROJECT_TEMPLATES.values()
    ]
    rows += [
        {"id": str(t["pk"]), "name": t["name"], "description": t["description"], "builtin": False}
        for t in saved_templates_for(user=user).values("pk", "name", "description")
    ]
    return rows


def project_template_data(*, user, template_id: str) -> tuple[str, dict] | None:
    """(name, data) of the template `template_id` if the user may use it, else None."""
    template_id = str(template_id or "").strip()
    builtin = BUILTIN_PROJECT_TEMPLATES.get(template_id)
    if builtin is not None:
        return builtin.name, builtin.data()
    if not template_id.isdigit():
        return None
    saved = saved_templates_for(user=user).filter(pk=int(template_id)).values("name", "data").first()
    return (saved["name"], saved["data"]) if saved else None


def project_structure(*, project) -> dict:
    """The project's structure in the shape of a template's data (templates_builtin): a fixed
    number of queries, plus each registered part's capture (docs, targets)."""
    statuses = list(
        WorkflowStatus.objects.filter(project=project)
        .order_by("position", "id")
        .values("slug", "name", "is_finished", "wip_limit")
    )
    labels = list(Label.objects.filter(project=project).order_by("name").values("name", "color"))
    custom_fields = list(
        CustomField.objects.filter(project=project)
        .order_by("position", "id")
        .values("key", "name", "field_type", "options", "show_on_card")
    )
    epics = list(
        Ticket.objects.filter(project=project, type=TicketType.EPIC)
        .order_by("rank", "id")
        .values("id", "title")[:MAX_TEMPLATE_EPICS]
    )
    epic_ids = [epic["id"] for epic in epics]
    label_names = _label_names(epic_ids)
    children: dict[int, list[dict]] = {epic_id: [] for epic_id in epic_ids}
    child_rows = list(
        Ticket.objects.filter(project=project, parent_id__in=epic_ids)
        .exclude(type=TicketType.EPIC)
        .order_by("rank", "id")
        .values("id", "parent_id", "title", "type")
    )
    child_labels = _label_names([row["id"] for row in child_rows])
    for row in child_rows:
        siblings = children[row["parent_id"]]
        if len(siblings) < MAX_STARTER_TICKETS_PER_EPIC:
            siblings.append(
                {
                    "title": row["title"],
                    "type": row["type"],
                    "description": "",
                    "labels": child_labels.get(row["id"], []),
                    "estimate": None,
                }
            )
    criteria: dict[str, list[str]] = {}
    for phase, text in (
        ExitCriterion.objects.filter(project=project).order_by("phase", "position", "id").values_list("phase", "text")
    ):
        criteria.setdefault(phase, []).append(text)
    data = {
        "board_mode": project.board_mode,
        "workflow": statuses,
        "labels": labels,
        "custom_fields": custom_fields,
        "epics": [
            {
                "title": epic["title"],
                "description": "",
                "phase": "",
                "labels": label_names.get(epic["id"], []),
                "tickets": children[epic["id"]],
            }
            for epic in epics
        ],
        "exit_criteria": criteria,
        "docs": [],
        "targets": [],
    }
    for part in hooks.template_parts:
        if part["capture"] is not None:
            data.update(part["capture"](project))
    return data


def _label_names(ticket_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    if not ticket_ids:
        return names
    through = Ticket.labels.through.objects.filter(ticket_id__in=ticket_ids).order_by("label__name")
    for ticket_id, name in through.values_list("ticket_id", "label__name"):
        names.setdefault(ticket_id, []).append(name)
    return names

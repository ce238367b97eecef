"""A project's workflow: the ordered statuses (board columns) admins shape."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from .. import live
from ..models import Project, Ticket, WorkflowStatus


def _announce(project: Project) -> None:
    live.announce(project_id=project.pk, kind="workflow.changed")


@transaction.atomic
def status_add(
    *, project: Project, name: str, is_finished: bool = False, wip_limit: int | None = None, slug: str = ""
) -> WorkflowStatus:
    name = (name or "").strip()
    slug = (slug or slugify(name).replace("-", "_"))[:40]
    if not slug:
        raise ValidationError({"name": ["Give the status a name."]})
    if WorkflowStatus.objects.filter(project=project, slug=slug).exists():
        raise ValidationError({"name": [f"The workflow already has a status “{slug}”."]})
    position = (project.statuses.aggregate(m=Max("position"))["m"] or 0) + 1
    status = WorkflowStatus(
        project=project, slug=slug, name=name, position=position, is_finished=is_finished, wip_limit=wip_limit or None
    )
    status.full_clean()
    status.save()
    _announce(project)
    return status


@transaction.atomic
def status_update(
    *,
    status: WorkflowStatus,
    name: str | None = None,
    is_finished: bool | None = None,
    wip_limit: int | str | None = "",
    position: int | None = None,
) -> WorkflowStatus:
    """Rename a status, mark it finished or not, set its WIP limit (None: no limit; the
    default "" leaves it), and put it at `position` in the workflow (0 first; None leaves
    it). The slug stays, so API clients and saved views keep working."""
    if name is not None:
        status.name = name.strip()
    if is_finished is not None and is_finished != status.is_finished:
        if not is_finished and not status.project.statuses.filter(is_finished=True).exclude(pk=status.pk).exists():
            raise ValidationError({"is_finished": ["A workflow needs at least one finished status."]})
        status.is_finished = is_finished
    if wip_limit != "":
        if wip_limit is not None and int(wip_limit) < 1:
            raise ValidationError({"wip_limit": ["A WIP limit is at least 1 (leave it empty for none)."]})
        status.wip_limit = wip_limit
    status.full_clean()
    status.save()
    _announce(status.project)
    if position is not None:
        slugs = [
            s
            for s in status.project.statuses.order_by("position", "id").values_list("slug", flat=True)
            if s != status.slug
        ]
        slugs.insert(min(position, len(slugs)), status.slug)
        reordered = statuses_reorder(project=status.project, slugs=slugs)
        status.position = next(s.position for s in reordered if s.pk == status.pk)
    return status


@transaction.atomic
def statuses_reorder(*, project: Project, slugs: list[str]) -> list[WorkflowStatus]:
    """Put the statuses in the order of `slugs` (every status of the project, once)."""
    statuses = {s.slug: s for s in project.statuses.select_for_update()}
    if sorted(slugs) != sorted(statuses):
        raise ValidationError({"order": ["List every status of the workflow exactly once."]})
    for position, slug in enumerate(slugs):
        statuses[slug].position = position
    WorkflowStatus.objects.bulk_update(statuses.values(), ["position"])
    _announce(project)
    return [statuses[slug] for slug in slugs]


@transaction.atomic
def status_move(*, status: WorkflowStatus, offset: int) -> None:
    """Move a status one place left (-1) or right (+1)."""
    slugs = list(status.project.statuses.order_by("position", "id").values_list("slug", flat=True))
    index = slugs.index(status.slug)
    target = max(0, min(len(slugs) - 1, index + offset))
    slugs.insert(target, slugs.pop(index))
    statuses_reorder(project=status.project, slugs=slugs)


@transaction.atomic
def status_delete(*, status: WorkflowStatus, move_to: WorkflowStatus | None = None) -> None:
    """Remove a status; its tickets move to `move_to` (required when it has any)."""
    project = status.project
    if project.statuses.count() <= 1:
        raise ValidationError({"status": ["A workflow needs at least one status."]})
    if status.is_finished and not project.statuses.filter(is_finished=True).exclude(pk=status.pk).exists():
        raise ValidationError({"status": ["A workflow needs at least one finished status."]})
    tickets = Ticket.objects.filter(status=status)
    if tickets.exists():
        if move_to is None or move_to.project_id != project.pk or move_to.pk == status.pk:
            raise ValidationError({"move_to": ["Choose where this status's tickets go."]})
        tickets.update(status=move_to)
    status.delete()
    _announce(project)

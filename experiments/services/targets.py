"""Targets: a project's success metrics (see models.Target). Admins and members write them;
a gate made from a target guards a ticket with the target's metric, direction and value."""

import datetime
import math

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects import live
from projects.models import Project, Ticket

from ..models import MetricGate, Target
from .gates import gate_create

EDITABLE_FIELDS = ("metric", "direction", "target", "baseline", "deadline", "primary")


def _check_number(field: str, value, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise ValidationError({field: ["Give a number."]})
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({field: ["Give a number."]}) from None
    if not math.isfinite(number):
        raise ValidationError({field: ["Give a finite number."]})
    return number


def _save(target: Target) -> Target:
    target.metric = (target.metric or "").strip()
    target.target = _check_number("target", target.target, required=True)
    target.baseline = _check_number("baseline", target.baseline, required=False)
    target.full_clean(validate_constraints=False)
    if target.primary:  # one primary per project: the new one takes over
        Target.objects.filter(project_id=target.project_id, primary=True).exclude(pk=target.pk).update(primary=False)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise ValidationError({"metric": [f"This project already has a target on {target.metric}."]}) from None
    live.announce(project_id=target.project_id, kind="project.targets")
    return target


@transaction.atomic
def target_create(
    *,
    project: Project,
    user,
    metric: str,
    target: float,
    direction: str = Target.Direction.HIGHER,
    baseline: float | None = None,
    deadline: datetime.date | None = None,
    primary: bool = False,
) -> Target:
    return _save(
        Target(
            project=project,
            metric=metric,
            direction=direction,
            target=target,
            baseline=baseline,
            deadline=deadline,
            primary=primary,
            created_by=user,
        )
    )


@transaction.atomic
def target_update(*, target: Target, user, changes: dict) -> Target:
    """Change the EDITABLE_FIELDS named in `changes` (the others stay). A dict, not keywords:
    one of the fields is itself called `target`."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(target, name, value)
    return _save(target)


@transaction.atomic
def target_delete(*, target: Target, user) -> None:
    live.announce(project_id=target.project_id, kind="project.targets")
    target.delete()


@transaction.atomic
def target_gate_create(*, target: Target, ticket: Ticket, user) -> MetricGate:
    """A metric gate on `ticket` (a ticket or an epic of the target's project) that passes
    when a linked run reaches the target: `metric >= target` or `metric <= target`."""
    if ticket.project_id != target.project_id:
        raise ValidationError({"ticket": ["Choose a ticket of this project."]})
    return gate_create(ticket=ticket, user=user, metric=target.metric, op=target.gate_op, threshold=target.target)

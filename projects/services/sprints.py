"""Sprints: plan, start (one active per project), complete with carry-over."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from aihub.limits import text_limit

from .. import live
from ..models import Project, Sprint, SprintState, Ticket, TicketEvent

User = get_user_model()

SPRINT_EDITABLE_FIELDS = ("name", "goal", "start_date", "end_date", "capacity")


def _clean_and_save(sprint: Sprint) -> Sprint:
    sprint.name = (sprint.name or "").strip()
    errors = {}
    if sprint.start_date and sprint.end_date and sprint.end_date < sprint.start_date:
        errors["end_date"] = ["A sprint ends on or after the day it starts."]
    if len(sprint.goal or "") > text_limit("projects.Sprint", "goal"):
        errors["goal"] = [f"At most {text_limit('projects.Sprint', 'goal'):,} characters."]
    try:
        sprint.full_clean(validate_constraints=False)
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    sprint.save()
    return sprint


@transaction.atomic
def sprint_create(
    *, project: Project, name: str, start_date, end_date, goal: str = "", capacity: int | None = None
) -> Sprint:
    sprint = Sprint(
        project=project, name=name, goal=goal or "", start_date=start_date, end_date=end_date, capacity=capacity
    )
    _clean_and_save(sprint)
    live.announce(project_id=project.pk, kind="sprint.created")
    return sprint


@transaction.atomic
def sprint_update(*, sprint: Sprint, **fields) -> Sprint:
    unknown = set(fields) - set(SPRINT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    if sprint.state == SprintState.COMPLETED:
        raise ValidationError({"state": ["A completed sprint cannot be changed."]})
    for name, value in fields.items():
        setattr(sprint, name, value)
    _clean_and_save(sprint)
    live.announce(project_id=sprint.project_id, kind="sprint.updated")
    return sprint


class StartDates:
    """What starting does to a sprint's planned dates when it starts on another day."""

    PLANNED = "planned"  # keep both planned dates
    TODAY = "today"  # start date today, keep the end date
    TODAY_SHIFT = "today_shift"  # start date today, end date moved to keep the sprint's length
    CHOICES = (PLANNED, TODAY, TODAY_SHIFT)


@transaction.atomic
def sprint_start(*, sprint: Sprint, user: User | None = None, dates: str = StartDates.PLANNED) -> Sprint:
    """Start a planned sprint. A project has one active sprint at a time: starting a second
    is refused (ValidationError, a 400 in the API). `dates` (StartDates) may set the start
    date to today, keeping the end date or shifting it by as many days. Whatever the dates,
    `started_at` records the actual start, where the burndown begins."""
    if dates not in StartDates.CHOICES:
        raise ValidationError({"dates": [f"Choose one of {', '.join(StartDates.CHOICES)}."]})
    Project.objects.select_for_update().get(pk=sprint.project_id)
    sprint = Sprint.objects.select_for_update().get(pk=sprint.pk)
    if not sprint.can_start():
        raise ValidationError({"state": [f"{sprint.name} is {sprint.state}: only a planned sprint can start."]})
    active = Sprint.objects.filter(project_id=sprint.project_id, state=SprintState.ACTIVE).first()
    if active is not None:
        raise ValidationError({"state": [f"{active.name} is still active: complete it before starting another."]})
    today = timezone.localdate()
    fields = ["state", "started_at"]
    if dates != StartDates.PLANNED and sprint.start_date != today:
        if dates == StartDates.TODAY_SHIFT:
            sprint.end_date = today + (sprint.end_date - sprint.start_date)
        elif sprint.end_date < today:
            raise ValidationError(
                {
                    "dates": [
                        f"{sprint.name} ends on {sprint.end_date:%b %-d}, before today: "
                        "shift the end date or edit the sprint."
                    ]
                }
            )
        sprint.start_date = today
        fields += ["start_date", "end_date"]
    sprint.state = SprintState.ACTIVE
    sprint.started_at = timezone.now()
    try:
        with transaction.atomic():
            sprint.save(update_fields=fields)
    except IntegrityError:  # the database's own guard: one active sprint per project
        raise ValidationError({"state": ["Another sprint of this project is active."]}) from None
    live.announce(project_id=sprint.project_id, kind="sprint.started")
    return sprint


def tickets_change_sprint(*, tickets: list[Ticket], sprint: Sprint | None, user: User | None) -> int:
    """Put tickets in a sprint (or the backlog) with one history line each and a version
    bump; returns how many changed. The caller holds a transaction."""
    moving = [t for t in tickets if t.sprint_id != (sprint.pk if sprint else None)]
    if not moving:
        return 0
    old_names = dict(
        Sprint.objects.filter(pk__in={t.sprint_id for t in moving if t.sprint_id}).values_list("pk", "name")
    )
    Ticket.objects.filter(pk__in=[t.pk for t in moving]).update(
        sprint=sprint, version=F("version") + 1, updated_at=timezone.now()
    )
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=t,
            actor=user,
            kind=TicketEvent.Kind.CHANGED,
            field="sprint",
            old_value=old_names.get(t.sprint_id, ""),
            new_value=sprint.name if sprint else "",
            data={"old_id": t.sprint_id, "new_id": sprint.pk if sprint else None},
        )
        for t in moving
    )
    return len(moving)


@transaction.atomic
def sprint_add_tickets(*, sprint: Sprint | None, tickets: list[Ticket], user: User | None, project: Project) -> int:
    """Planning: move tickets into `sprint` (None: back to the backlog)."""
    if sprint is not None:
        if sprint.project_id != project.pk:
            raise ValidationError({"sprint": ["This sprint belongs to another project."]})
        if sprint.state == SprintState.COMPLETED:
            raise ValidationError({"sprint": [f"{sprint.name} is completed."]})
    if any(t.project_id != project.pk for t in tickets):
        raise ValidationError({"tickets": ["Every ticket must belong to this project."]})
    locked = list(Ticket.objects.select_for_update().filter(pk__in=[t.pk for t in tickets]).only("id", "sprint_id"))
    changed = tickets_change_sprint(tickets=locked, sprint=sprint, user=user)
    if changed:
        live.announce(project_id=project.pk, kind="sprint.planned")
    return changed


@transaction.atomic
def sprint_complete(*, sprint: Sprint, user: User | None, move_open_to: Sprint | None = None) -> Sprint:
    """Close an active sprint. Its unfinished tickets move to `move_open_to` (a planned or
    active sprint of the project) or, when None, to the backlog."""
    Project.objects.select_for_update().get(pk=sprint.project_id)
    sprint = Sprint.objects.select_for_update().get(pk=sprint.pk)
    if not sprint.can_complete():
        raise ValidationError({"state": [f"{sprint.name} is {sprint.state}: only the active sprint can complete."]})
    if move_open_to is not None:
        if move_open_to.project_id != sprint.project_id:
            raise ValidationError({"move_open_to": ["Choose a sprint of the same project."]})
        if move_open_to.pk == sprint.pk or move_open_to.state == SprintState.COMPLETED:
            raise ValidationError({"move_open_to": ["Choose a planned sprint, or the backlog."]})
    open_tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(sprint=sprint, status__is_finished=False)
        .only("id", "sprint_id")
    )
    sprint.state = SprintState.COMPLETED
    sprint.completed_at = timezone.now()
    sprint.save(update_fields=["state", "completed_at"])
    tickets_change_sprint(tickets=open_tickets, sprint=move_open_to, user=user)
    live.announce(project_id=sprint.project_id, kind="sprint.completed")
    return sprint


@transaction.atomic
def sprint_delete(*, sprint: Sprint, user: User | None) -> None:
    """Delete a planned sprint; its tickets go back to the backlog."""
    if sprint.state != SprintState.PLANNED:
        raise ValidationError({"state": ["Only a planned sprint can be deleted."]})
    tickets = list(Ticket.objects.select_for_update().filter(sprint=sprint).only("id", "sprint_id"))
    tickets_change_sprint(tickets=tickets, sprint=None, user=user)
    sprint.delete()
    live.announce(project_id=sprint.project_id, kind="sprint.deleted")

"""Writes for the lifecycle: each phase's exit criteria (added, edited, ticked by the team,
removed), the phase advance an admin makes (refused while criteria of the phases it
leaves are unticked, unless the admin gives a reason; recorded with who, when and the
checklist as it stood), and milestones with their linked epics. Every write tells open
pages once it commits."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from aihub.exceptions import StaleVersion
from aihub.limits import text_lengths_check

from .. import live
from ..lifecycle import next_phase, phase_index, phase_label
from ..models import PHASE_ORDER, ExitCriterion, Milestone, PhaseTransition, Project, Ticket, TicketType
from ..ticket_links import render_ticket_markdown

User = get_user_model()

# A phase's checklist is a handful of statements, not a backlog.
MAX_CRITERIA_PER_PHASE = 30
CRITERION_TEXT_MAX = ExitCriterion._meta.get_field("text").max_length
OVERRIDE_REASON_MAX = 2000
# How many epics one milestone may name.
MAX_MILESTONE_EPICS = 50
MILESTONE_EDITABLE_FIELDS = ("name", "description", "due_date", "epics", "completed")
CRITERION_EDITABLE_FIELDS = ("text", "done", "position")


class PhaseCriteriaUnmet(ValidationError):
    """A forward phase change refused because exit criteria are unticked (and no reason
    was given to override them). `unticked` holds those criteria."""

    def __init__(self, message_dict: dict, unticked: list[ExitCriterion]):
        super().__init__(message_dict)
        self.unticked = unticked


def _check_phase(phase, field: str = "phase") -> str:
    if phase not in PHASE_ORDER:
        raise ValidationError({field: [f"Choose one of: {', '.join(PHASE_ORDER)}."]})
    return str(phase)


def _clean_text(text, field: str = "text") -> str:
    if text is not None and not isinstance(text, str):
        raise ValidationError({field: ["Write the criterion as text."]})
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: ["Write what must be true to leave the phase."]})
    if len(text) > CRITERION_TEXT_MAX:
        raise ValidationError({field: [f"At most {CRITERION_TEXT_MAX} characters."]})
    return text


# --- Exit criteria ------------------------------------------------------------------------


@transaction.atomic
def exit_criteria_create(project: Project, phase: str, texts, *, user: User | None = None) -> list[ExitCriterion]:
    """Add criteria (`texts`, in order) at the end of the phase's checklist, unticked.
    Templates call it with DEFAULT_EXIT_CRITERIA[phase]."""
    phase = _check_phase(phase)
    if isinstance(texts, str):
        texts = [texts]
    cleaned = [_clean_text(text) for text in texts]
    if not cleaned:
        return []
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one writer per checklist
    existing = ExitCriterion.objects.filter(project=project, phase=phase)
    if existing.count() + len(cleaned) > MAX_CRITERIA_PER_PHASE:
        raise ValidationError({"text": [f"A phase has at most {MAX_CRITERIA_PER_PHASE} exit criteria."]})
    start = (existing.aggregate(last=Max("position"))["last"] or 0) + 1
    criteria = ExitCriterion.objects.bulk_create(
        ExitCriterion(project=project, phase=phase, text=text, position=start + i) for i, text in enumerate(cleaned)
    )
    live.announce(project_id=project.pk, kind="exit_criteria.created")
    return criteria


def exit_criterion_create(*, project: Project, user: User | None, phase: str, text: str) -> ExitCriterion:
    """Add one criterion at the end of the phase's checklist."""
    return exit_criteria_create(project, phase, [_clean_text(text)], user=user)[0]


@transaction.atomic
def exit_criterion_update(*, criterion: ExitCriterion, user: User | None, **fields) -> ExitCriterion:
    """Change a criterion's text or position, or tick (`done=True`: stamped with who and
    when) or untick it."""
    unknown = set(fields) - set(CRITERION_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    current = ExitCriterion.objects.select_for_update().get(pk=criterion.pk)
    changed = False
    if "text" in fields:
        text = _clean_text(fields["text"])
        changed |= text != current.text
        current.text = text
    if "position" in fields:
        position = fields["position"]
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise ValidationError({"position": ["A whole number, 0 or more."]})
        changed |= position != current.position
        current.position = position
    if "done" in fields:
        done = fields["done"]
        if not isinstance(done, bool):
            raise ValidationError({"done": ["true or false."]})
        if done != current.done:
            current.done = done
            current.done_by = user if done else None
            current.done_at = timezone.now() if done else None
            changed = True
    if changed:
        current.full_clean()
        current.save()
        live.announce(project_id=current.project_id, kind="exit_criteria.updated")
    return current


def exit_criterion_tick(*, criterion: ExitCriterion, user: User | None, done: bool = True) -> ExitCriterion:
    return exit_criterion_update(criterion=criterion, user=user, done=done)


@transaction.atomic
def exit_criterion_delete(*, criterion: ExitCriterion, user: User | None) -> None:
    project_id = criterion.project_id
    criterion.delete()
    live.announce(project_id=project_id, kind="exit_criteria.deleted")


# --- Phase changes ------------------------------------------------------------------------


def _checklist_state(criteria) -> list[dict]:
    return [
        {
            "id": c.pk,
            "phase": c.phase,
            "text": c.text,
            "done": c.done,
            "done_by": c.done_by.username if c.done_by else None,
            "done_at": c.done_at.isoformat() if c.done_at else None,
        }
        for c in criteria
    ]


@transaction.atomic
def phase_advance(
    project: Project, user: User | None, *, to_phase: str | None = None, override_reason: str = ""
) -> PhaseTransition:
    """Move the project to `to_phase` (by default the next phase) and record it.

    Moving forward checks the exit criteria of every phase it leaves (the current one and
    any it skips): while one is unticked the move is refused (PhaseCriteriaUnmet, a
    ValidationError naming them) unless `override_reason` says why to go anyway. Moving
    back to an earlier phase checks nothing. Either way the transition records the actor,
    the time and the checklist of the phases left as it stood. The caller checks that the
    user is an admin."""
    current = Project.objects.select_for_update().get(pk=project.pk)
    from_phase = current.phase
    if to_phase in (None, ""):
        to_phase = next_phase(from_phase)
        if to_phase is None:
            raise ValidationError({"to_phase": [f"{phase_label(from_phase)} is the last phase."]})
    to_phase = _check_phase(to_phase, "to_phase")
    if to_phase == from_phase:
        raise ValidationError({"to_phase": [f"The project is already in {phase_label(from_phase)}."]})
    reason = (override_reason or "").strip() if isinstance(override_reason, str) else ""
    if len(reason) > OVERRIDE_REASON_MAX:
        raise ValidationError({"override_reason": [f"At most {OVERRIDE_REASON_MAX:,} characters."]})
    forward = phase_index(to_phase) > phase_index(from_phase)
    left = PHASE_ORDER[phase_index(from_phase) : phase_index(to_phase)] if forward else (from_phase,)
    criteria = sorted(
        ExitCriterion.objects.filter(project=current, phase__in=left).select_related("done_by"),
        key=lambda c: (phase_index(c.phase), c.position, c.pk),
    )
    unticked = [c for c in criteria if not c.done] if forward else []
    if unticked and not reason:
        phases = " and ".join(dict.fromkeys(phase_label(c.phase) for c in unticked))
        raise PhaseCriteriaUnmet(
            {
                "exit_criteria": [f"Not ticked: {c.text}" for c in unticked],
                "override_reason": [
                    f"{len(unticked)} exit criteri{'on' if len(unticked) == 1 else 'a'} of {phases} "
                    "not ticked. Tick them, or give a reason to advance anyway."
                ],
            },
            unticked,
        )
    transition = PhaseTransition.objects.create(
        project=current,
        from_phase=from_phase,
        to_phase=to_phase,
        actor=user,
        checklist=_checklist_state(criteria),
        overridden=bool(unticked),
        override_reason=reason,
    )
    Project.objects.filter(pk=current.pk).update(phase=to_phase, updated_at=timezone.now())
    project.phase = to_phase
    live.announce(project_id=current.pk, kind="phase.advanced")
    return transition


# --- Milestones ---------------------------------------------------------------------------


def _resolve_epics(project: Project, epics) -> list[Ticket]:
    """Epics of the project, given as tickets or keys (CV-3), in one query."""
    items = list(epics or [])
    if len(items) > MAX_MILESTONE_EPICS:
        raise ValidationError({"epics": [f"A milestone links at most {MAX_MILESTONE_EPICS} epics."]})
    objects = [t for t in items if isinstance(t, Ticket)]
    keys = list(dict.fromkeys(str(t).strip() for t in items if not isinstance(t, Ticket) and str(t).strip()))
    found = {t.key: t for t in Ticket.objects.filter(project=project, key__in=keys).only("id", "key", "type")}
    missing = [k for k in keys if k not in found]
    if missing:
        raise ValidationError({"epics": [f"No ticket {', '.join(missing)} in {project.key}."]})
    tickets = [*objects, *(found[k] for k in keys)]
    if any(t.project_id != project.pk for t in tickets):
        raise ValidationError({"epics": ["An epic belongs to another project."]})
    not_epics = [t.key for t in tickets if t.type != TicketType.EPIC]
    if not_epics:
        raise ValidationError(
            {"epics": [f"{', '.join(not_epics)} {'is not an epic' if len(not_epics) == 1 else 'are not epics'}."]}
        )
    return list({t.pk: t for t in tickets}.values())


def _check_completed(completed) -> bool:
    if not isinstance(completed, bool):
        raise ValidationError({"completed": ["true or false."]})
    return completed


@transaction.atomic
def milestone_create(
    *,
    project: Project,
    user: User | None,
    name: str,
    due_date,
    description: str = "",
    epics=(),
    completed: bool = False,
) -> Milestone:
    """Add a milestone to the roadmap. `epics`: epics of this project (tickets or keys)."""
    text_lengths_check("projects.Milestone", description=description)
    milestone = Milestone(
        project=project,
        name=(name or "").strip(),
        description=description or "",
        due_date=due_date,
        completed_at=timezone.now() if _check_completed(completed) else None,
        created_by=user,
    )
    linked = _resolve_epics(project, epics)
    milestone.full_clean()
    milestone.description_html = render_ticket_markdown(milestone.description, project=project)
    milestone.save()
    if linked:
        milestone.epics.set(linked)
    live.announce(project_id=project.pk, kind="milestone.created")
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, user: User | None, version: int | None = None, **fields) -> Milestone:
    """Change some fields of a milestone; `completed` True stamps `completed_at`, False
    clears it. A `version` other than the current one raises StaleVersion."""
    unknown = set(fields) - set(MILESTONE_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    current = Milestone.objects.select_for_update(of=("self",)).select_related("project").get(pk=milestone.pk)
    if version is not None and int(version) != current.version:
        raise StaleVersion(current)
    project = current.project
    if "description" in fields:
        text_lengths_check("projects.Milestone", description=fields["description"])
    changed = False
    for name in ("name", "description", "due_date"):
        if name not in fields:
            continue
        value = fields[name]
        if name in ("name", "description"):
            value = (value or "").strip() if name == "name" else (value or "")
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed = True
    if "completed" in fields and _check_completed(fields["completed"]) != current.completed:
        current.completed_at = timezone.now() if fields["completed"] else None
        changed = True
    wanted = None
    if "epics" in fields:
        wanted = {t.pk: t for t in _resolve_epics(project, fields["epics"])}
        had = set(current.epics.values_list("pk", flat=True))
        if set(wanted) != had:
            changed = True
        else:
            wanted = None
    if not changed:
        return current
    current.version += 1
    current.full_clean()
    if "description" in fields:
        current.description_html = render_ticket_markdown(current.description, project=project)
    current.save()
    if wanted is not None:
        current.epics.set(list(wanted.values()))
    live.announce(project_id=project.pk, kind="milestone.updated")
    return current


@transaction.atomic
def milestone_delete(*, milestone: Milestone, user: User | None) -> None:
    project_id = milestone.project_id
    milestone.delete()
    live.announce(project_id=project_id, kind="milestone.deleted")

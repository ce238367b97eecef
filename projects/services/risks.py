"""Writes for the risk register: create, edit (refusing stale versions, like tickets),
close and delete. Each write checks the rules (owner a member, tickets of the same
project, ratings 1 to 5, text limits), renders the description's Markdown, leaves a line
in the history of every ticket it links or unlinks, and tells open pages once it commits."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aihub.exceptions import StaleVersion
from aihub.limits import text_lengths_check

from .. import live
from ..events import ticket_event_record
from ..models import ACTIVE_RISK_STATUSES, Membership, Project, Risk, RiskStatus, Ticket, TicketEvent
from ..ticket_links import render_ticket_markdown

User = get_user_model()

# What risk_update may change.
RISK_EDITABLE_FIELDS = (
    "title",
    "description",
    "likelihood",
    "impact",
    "owner",
    "mitigation",
    "status",
    "review_date",
    "tickets",
)
_SCALAR_FIELDS = ("title", "description", "likelihood", "impact", "mitigation", "status", "review_date")
# How many tickets one risk may link (a risk is about a few pieces of work, not a backlog).
MAX_RISK_TICKETS = 50


def _resolve_owner(project: Project, owner) -> User | None:
    """A member of the project, given as a user or a username; None or "" for nobody."""
    if owner is None or owner == "":
        return None
    if isinstance(owner, User):
        user = owner if Membership.objects.filter(project=project, user=owner).exists() else None
        name = owner.username
    else:
        name = str(owner).strip()
        user = User.objects.filter(username=name, memberships__project=project).first()
    if user is None:
        raise ValidationError({"owner": [f"{name} is not a member of {project.key}."]})
    return user


def _resolve_tickets(project: Project, tickets) -> list[Ticket]:
    """Tickets of the project, given as tickets or keys (CV-12), in one query."""
    items = list(tickets or [])
    if len(items) > MAX_RISK_TICKETS:
        raise ValidationError({"tickets": [f"A risk links at most {MAX_RISK_TICKETS} tickets."]})
    objects = [t for t in items if isinstance(t, Ticket)]
    if any(t.project_id != project.pk for t in objects):
        raise ValidationError({"tickets": ["A ticket belongs to another project."]})
    keys = list(dict.fromkeys(str(t).strip() for t in items if not isinstance(t, Ticket) and str(t).strip()))
    found = {t.key: t for t in Ticket.objects.filter(project=project, key__in=keys).only("id", "key", "title")}
    missing = [k for k in keys if k not in found]
    if missing:
        raise ValidationError({"tickets": [f"No ticket {', '.join(missing)} in {project.key}."]})
    return list({t.pk: t for t in [*objects, *(found[k] for k in keys)]}.values())


def _check_ratings(**ratings) -> None:
    errors = {}
    for name, value in ratings.items():
        if value is None or not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            errors[name] = ["Rate it from 1 to 5."]
    if errors:
        raise ValidationError(errors)


def _record_links(risk: Risk, actor, *, linked=(), unlinked=()) -> None:
    """One history line on each ticket the risk now names, or no longer names."""
    for ticket in linked:
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind=TicketEvent.Kind.CHANGED,
            field="risk",
            new_value=risk.title,
            data={"risk_id": risk.pk},
        )
    for ticket in unlinked:
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            kind=TicketEvent.Kind.CHANGED,
            field="risk",
            old_value=risk.title,
            data={"risk_id": risk.pk},
        )


@transaction.atomic
def risk_create(
    *,
    project: Project,
    user: User | None,
    title: str,
    likelihood: int,
    impact: int,
    description: str = "",
    owner: User | str | None = None,
    mitigation: str = "",
    status: str = RiskStatus.OPEN,
    review_date=None,
    tickets=(),
) -> Risk:
    """Add a risk to the project's register. `owner` (a member) and `tickets` (of this
    project) may be objects or as a client writes them (username, ticket keys)."""
    _check_ratings(likelihood=likelihood, impact=impact)
    text_lengths_check("projects.Risk", description=description, mitigation=mitigation)
    risk = Risk(
        project=project,
        title=(title or "").strip(),
        description=description or "",
        likelihood=likelihood,
        impact=impact,
        owner=_resolve_owner(project, owner),
        mitigation=mitigation or "",
        status=status,
        review_date=review_date,
        created_by=user,
    )
    linked = _resolve_tickets(project, tickets)
    if status not in ACTIVE_RISK_STATUSES:
        risk.closed_at = timezone.now()
    risk.full_clean()
    risk.description_html = render_ticket_markdown(risk.description, project=project)
    risk.save()
    if linked:
        risk.tickets.set(linked)
        _record_links(risk, user, linked=linked)
    live.announce(project_id=project.pk, kind="risk.created")
    return risk


@transaction.atomic
def risk_update(*, risk: Risk, user: User | None, version: int | None = None, **fields) -> Risk:
    """Change some fields of a risk. A `version` other than the current one raises
    StaleVersion (with the current risk) and changes nothing. When anything changed the
    version grows and open pages are told; linking or unlinking a ticket leaves a line in
    its history. Leaving the active statuses (open, mitigating) stamps `closed_at`."""
    unknown = set(fields) - set(RISK_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    current = Risk.objects.select_for_update(of=("self",)).select_related("project", "owner").get(pk=risk.pk)
    if version is not None and int(version) != current.version:
        raise StaleVersion(current)
    project = current.project
    text_lengths_check("projects.Risk", **{n: fields[n] for n in ("description", "mitigation") if n in fields})
    ratings = {n: fields[n] for n in ("likelihood", "impact") if n in fields}
    if ratings:
        _check_ratings(**ratings)
    changed = False
    for name in _SCALAR_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "title":
            value = (value or "").strip()
        elif name in ("description", "mitigation") and value is None:
            value = ""
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed = True
    if "owner" in fields:
        owner = _resolve_owner(project, fields["owner"])
        if current.owner_id != (owner.pk if owner else None):
            current.owner = owner
            changed = True
    linked, unlinked = [], []
    if "tickets" in fields:
        wanted = {t.pk: t for t in _resolve_tickets(project, fields["tickets"])}
        had = {t.pk: t for t in Ticket.objects.filter(risks=current).only("id", "key")}
        linked = [t for pk, t in wanted.items() if pk not in had]
        unlinked = [t for pk, t in had.items() if pk not in wanted]
        changed = changed or bool(linked or unlinked)
    if not changed:
        return current
    was_closed = current.closed_at is not None
    if current.status in ACTIVE_RISK_STATUSES:
        current.closed_at = None
    elif not was_closed:
        current.closed_at = timezone.now()
    current.version += 1
    current.full_clean()
    if "description" in fields:
        current.description_html = render_ticket_markdown(current.description, project=project)
    current.save()
    if linked or unlinked:
        current.tickets.add(*linked)
        current.tickets.remove(*unlinked)
        _record_links(current, user, linked=linked, unlinked=unlinked)
    live.announce(project_id=project.pk, kind="risk.updated")
    return current


def risk_close(*, risk: Risk, user: User | None, version: int | None = None) -> Risk:
    """Close a risk (it no longer threatens the project): a status change like any edit."""
    return risk_update(risk=risk, user=user, version=version, status=RiskStatus.CLOSED)


@transaction.atomic
def risk_delete(*, risk: Risk, user: User | None) -> None:
    project_id = risk.project_id
    _record_links(risk, user, unlinked=list(Ticket.objects.filter(risks=risk).only("id", "key")))
    risk.delete()
    live.announce(project_id=project_id, kind="risk.deleted")

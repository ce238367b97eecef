"""Moving cards on the board: a column change and a place in the column, in one write.

Order is a sparse integer `rank` (ordered by rank, then id), shared by the board and the
backlog; a column shows its tickets in that order. Placing a card right after another takes
the midpoint between that card and the next one in the column (an index probe on
project, status, rank), so a move writes one ticket row. When two neighbours have no
integer left between them, the tickets in the smallest window of ranks around them that
can hold them RESPREAD_SPACING apart are spread evenly over that window in one UPDATE
statement, under the project-row lock that serialises moves. The relative order of every
ticket (every column and the backlog) is kept. This happens after about 16 moves into the
very same spot, never on an ordinary move. The ranking rules are in projects/ranking.py.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from aihub.exceptions import StaleVersion

from .. import hooks, live
from ..events import ticket_event_record
from ..models import Membership, Project, Role, Ticket, TicketEvent, WorkflowStatus
from ..ranking import project_ranks_rebalance, rank_between

User = get_user_model()

# Fields a move may change.
MOVE_FIELDS = ("status", "rank", "version", "finished_at")
# What full_clean checks: the status is resolved within the project above (checking the
# foreign key again would cost a query), the other fields did not change.
CLEANED_FIELDS = ("rank", "version", "finished_at")


def resolve_status(project: Project, status: WorkflowStatus | str) -> WorkflowStatus:
    """A status of `project`, given as a status or its slug (a field error otherwise)."""
    if isinstance(status, WorkflowStatus):
        if status.project_id != project.pk:
            raise ValidationError({"status": ["This status belongs to another project."]})
        return status
    found = WorkflowStatus.objects.filter(project=project, slug=status or "").first()
    if found is None:
        raise ValidationError({"status": [f"“{status}” is not a status of this project's workflow."]})
    return found


def _following_rank(ticket: Ticket, *, status_id, rank) -> Subquery:
    """The rank of the first card of column `status_id` from `rank` on (not `ticket`, nor
    the row the subquery sits in): an index range probe on (project, status, rank) that
    starts at `rank`, whatever the column's length. A card sharing `rank` is returned too,
    which leaves no room and makes room around the spot (rare: ranks are spread apart)."""
    return Subquery(
        Ticket.objects.filter(project_id=OuterRef("project_id"), status_id=status_id, rank__gte=rank)
        .exclude(pk=OuterRef("pk"))
        .exclude(pk=ticket.pk)
        .order_by("rank", "id")
        .values("rank")[:1]
    )


def _place(project: Project, ticket: Ticket, status: WorkflowStatus | str, after) -> tuple:
    """Where the card goes, in one query once the project row is locked: (target status,
    anchor card or None, rank of the card that will follow the moved one or None).

    With `after`: the anchor by key with its status and the rank of the card after it.
    Without: the status with the rank of its first card (the card goes on top)."""
    if after is not None and after != "":
        key = after.key if isinstance(after, Ticket) else str(after)
        if key == ticket.key:
            raise ValidationError({"after": ["A card cannot be placed after itself."]})
        anchor = (
            Ticket.objects.filter(project=project, key=key)
            .select_related("status")
            .only("id", "key", "rank", "project_id", "status")
            .annotate(following=_following_rank(ticket, status_id=OuterRef("status_id"), rank=OuterRef("rank")))
            .first()
        )
        wanted = status.pk if isinstance(status, WorkflowStatus) else None
        if anchor is not None and (anchor.status.slug == status if wanted is None else anchor.status_id == wanted):
            return anchor.status, anchor, anchor.following
        target = resolve_status(project, status)  # a clear error for an unknown status first
        raise ValidationError({"after": [f"{key} is not in the column “{target.name}”."]})
    statuses = WorkflowStatus.objects.filter(project=project)
    statuses = (
        statuses.filter(pk=status.pk) if isinstance(status, WorkflowStatus) else statuses.filter(slug=status or "")
    )
    target = statuses.annotate(
        following=Subquery(
            Ticket.objects.filter(project_id=OuterRef("project_id"), status_id=OuterRef("pk"))
            .exclude(pk=ticket.pk)
            .order_by("rank", "id")
            .values("rank")[:1]
        )
    ).first()
    if target is None:
        resolve_status(project, status)  # raises the error that says what is wrong
        raise ValidationError({"status": [f"“{status}” is not a status of this project's workflow."]})
    return target, None, target.following


def _new_rank(project: Project, ticket: Ticket, place: tuple, status, after) -> int:
    """A rank between the anchor (or the top of the column) and the card that follows."""
    for _attempt in range(2):
        _target, anchor, following = place
        if anchor is None and following is None:  # an empty column: the card keeps its rank
            return ticket.rank
        rank = rank_between(anchor.rank if anchor is not None else None, following)
        if rank is not None:
            return rank
        project_ranks_rebalance(project=project, around=anchor.rank if anchor is not None else ticket.rank)
        ticket.refresh_from_db(fields=["rank"])
        place = _place(project, ticket, status, after)
    raise RuntimeError("No rank found after renumbering the project.")  # unreachable: ranks are RANK_GAP apart


def _write_move(ticket: Ticket, *, status_changes: bool, actor: User | None, old_slug: str, new_slug: str) -> None:
    """The ticket's new place, and its history line when the column changed, in one
    statement (a data-modifying WITH): a move writes one round trip, not two."""
    now = timezone.now()
    ticket.updated_at = now
    table, events = Ticket._meta.db_table, TicketEvent._meta.db_table
    update = (
        f"UPDATE {table} SET status_id = %s, rank = %s, version = %s, finished_at = %s, updated_at = %s WHERE id = %s"
    )
    params = [ticket.status_id, ticket.rank, ticket.version, ticket.finished_at, now, ticket.pk]
    if connection.vendor != "postgresql":  # SQLite (development): no data-modifying WITH
        Ticket.objects.filter(pk=ticket.pk).update(
            status_id=ticket.status_id,
            rank=ticket.rank,
            version=ticket.version,
            finished_at=ticket.finished_at,
            updated_at=now,
        )
        if status_changes:
            ticket_event_record(
                ticket=ticket,
                actor=actor,
                kind=TicketEvent.Kind.MOVED,
                field="status",
                old_value=old_slug,
                new_value=new_slug,
            )
        return
    with connection.cursor() as cursor:
        if not status_changes:
            cursor.execute(update, params)
            return
        cursor.execute(
            f"WITH moved AS ({update} RETURNING id) "
            f"INSERT INTO {events} (ticket_id, actor_id, kind, field, old_value, new_value, data, created_at) "
            f"SELECT id, %s, %s, 'status', %s, %s, '{{}}'::jsonb, %s FROM moved",
            [*params, actor.pk if actor else None, TicketEvent.Kind.MOVED, old_slug, new_slug, now],
        )


def ticket_for_move(*, pk: int) -> Ticket:
    """The ticket with its project and status, both rows locked (moves of a project queue
    on its row, so two moves never compute the same midpoint): one query when nobody else
    is moving it."""
    tickets = Ticket.objects.select_for_update(of=("self", "project")).select_related("project", "status").filter(pk=pk)
    found = list(tickets.all())
    if found:
        return found[0]
    # Another move of this ticket committed while this statement waited for the locks:
    # PostgreSQL rechecks the new row against the status it joined before the wait, which
    # no longer matches, and skips it. Take the project's lock alone (no other move can
    # commit then), and read the ticket again, afresh (only edits outside moves can still
    # change its status in between: try again).
    project_id = Ticket.objects.filter(pk=pk).values_list("project_id", flat=True).first()
    if project_id is not None:
        list(Project.objects.select_for_update().filter(pk=project_id).values_list("pk", flat=True))
        for _attempt in range(5):
            found = list(tickets.all())  # a fresh query each time, not the cached result
            if found:
                return found[0]
    raise Ticket.DoesNotExist("Ticket matching query does not exist.")


def _is_project_admin(project: Project, user: User | None) -> bool:
    return bool(user) and Membership.objects.filter(project=project, user=user, role=Role.ADMIN).exists()


@transaction.atomic
def ticket_move(
    *,
    ticket: Ticket,
    user: User | None,
    status: WorkflowStatus | str,
    after: Ticket | str | None = None,
    version: int | None = None,
    override_reason: str = "",
) -> Ticket:
    """Put `ticket` in column `status`, right after `after` (a ticket or key in that column;
    None for the top). `version`, if given, must be the ticket's current version.

    Moving into a finished status asks the finish guards (metric gates...); their reasons
    refuse the move unless a project admin gives `override_reason`, which is recorded.

    The board's API tries `board_sql.ticket_move_by_key` first (two statements on
    PostgreSQL); this is the path for everything else, and its rules are the reference."""
    # Queries on the way (an ordinary move): lock and read the ticket, find its place, write
    # it with its history line. Gates are asked only on entering a finished status; the
    # announcement goes to Redis after commit.
    return ticket_move_locked(
        current=ticket_for_move(pk=ticket.pk),
        user=user,
        status=status,
        after=after,
        version=version,
        override_reason=override_reason,
    )


def ticket_move_locked(
    *,
    current: Ticket,
    user: User | None,
    status: WorkflowStatus | str,
    after: Ticket | str | None = None,
    version: int | None = None,
    override_reason: str = "",
) -> Ticket:
    """ticket_move once `current` came from ticket_for_move (its row and its project's row
    locked in this transaction, with its project and status)."""
    project = current.project
    if version is not None and int(version) != current.version:
        raise StaleVersion(current)
    place = _place(project, current, status, after)
    target = place[0]
    source = current.status

    status_changes = target.pk != source.pk
    if status_changes and target.is_finished and not source.is_finished:
        reasons = hooks.reasons_ticket_may_not_finish(current, user)
        if reasons:
            override_reason = (override_reason or "").strip()
            if not override_reason:
                raise ValidationError({"status": reasons})
            if not _is_project_admin(project, user):
                raise ValidationError(
                    {"status": reasons, "override_reason": ["Only a project admin can override these checks."]}
                )
            ticket_event_record(
                ticket=current,
                actor=user,
                kind=TicketEvent.Kind.GATE_OVERRIDE,
                field="status",
                old_value=source.slug,
                new_value=target.slug,
                data={"reason": override_reason, "overridden": reasons},
            )

    current.rank = _new_rank(project, current, place, status, after)
    becomes_finished = status_changes and target.is_finished and not source.is_finished
    if status_changes:
        current.status = target
        current.version += 1
        if becomes_finished:
            current.finished_at = timezone.now()
        elif not target.is_finished:
            current.finished_at = None
    current.full_clean(
        exclude=[f.name for f in Ticket._meta.fields if f.name not in CLEANED_FIELDS],
        validate_unique=False,
        validate_constraints=False,
    )
    _write_move(current, status_changes=status_changes, actor=user, old_slug=source.slug, new_slug=target.slug)
    if becomes_finished:
        for handler in hooks.ticket_finished_handlers:
            handler(current, user)
    announce_move(current)
    return current


def announce_move(ticket: Ticket) -> None:
    """Open boards refetch once the move commits; the revision it produced lands on
    `ticket.live_revision`, which the move's answer carries (no second trip to Redis)."""
    live.announce(
        project_id=ticket.project_id,
        kind="ticket.moved",
        ticket_key=ticket.key,
        then=lambda revision: setattr(ticket, "live_revision", revision),
    )

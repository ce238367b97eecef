"""Moving cards on the board: a column change and a place in the column, in one write.

Order is a sparse integer `rank` (ordered by rank, then id), shared by the board and the
backlog; a column shows its tickets in that order. Placing a card right after another takes
the midpoint between that card and the next one in the column (an index probe on
project, status, rank), so a move writes one ticket row. When two neighbours have no
integer left between them, the tickets in the smallest window of ranks around them that
can hold them RESPREAD_SPACING apart are spread evenly over that window in one UPDATE
statement, under the project-row lock that serialises moves. The relative order of every
ticket (every column and the backlog) is kept. This happens after about 16 moves into the
very same spot, never on an ordinary move.
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from aihub.exceptions import StaleVersion

from .. import hooks, live
from ..models import Membership, Project, Role, Ticket, TicketEvent, WorkflowStatus
from ..ranking import RANK_GAP
from .tickets import ticket_event_record

User = get_user_model()

# Fields a move may change.
MOVE_FIELDS = ("status", "rank", "version", "finished_at")
# What full_clean checks: the status is resolved within the project above (checking the
# foreign key again would cost a query), the other fields did not change.
CLEANED_FIELDS = ("rank", "version", "finished_at")


def _resolve_status(project: Project, status: WorkflowStatus | str) -> WorkflowStatus:
    if isinstance(status, WorkflowStatus):
        if status.project_id != project.pk:
            raise ValidationError({"status": ["This status belongs to another project."]})
        return status
    found = WorkflowStatus.objects.filter(project=project, slug=status or "").first()
    if found is None:
        raise ValidationError({"status": [f"“{status}” is not a status of this project's workflow."]})
    return found


def _resolve_after(project: Project, ticket: Ticket, status: WorkflowStatus, after) -> Ticket | None:
    if after is None or after == "":
        return None
    key = after.key if isinstance(after, Ticket) else str(after)
    if key == ticket.key:
        raise ValidationError({"after": ["A card cannot be placed after itself."]})
    found = Ticket.objects.filter(project=project, key=key).only("id", "key", "rank", "status_id").first()
    if found is None or found.status_id != status.pk:
        raise ValidationError({"after": [f"{key} is not in the column “{status.name}”."]})
    return found


def _column_neighbour_rank(project: Project, ticket: Ticket, status: WorkflowStatus, anchor: Ticket) -> int | None:
    """The rank of the card right after `anchor` in its column (not `ticket`): one probe of
    the (project, status, rank) index."""
    return (
        Ticket.objects.filter(project=project, status=status)
        .filter(Q(rank__gt=anchor.rank) | Q(rank=anchor.rank, id__gt=anchor.id))
        .exclude(pk=ticket.pk)
        .order_by("rank", "id")
        .values_list("rank", flat=True)
        .first()
    )


def _rank_between(low: int | None, high: int | None) -> int | None:
    """A rank strictly between two neighbours, or None when no integer is left."""
    if low is None and high is None:
        return RANK_GAP
    if low is None:
        return high - RANK_GAP
    if high is None:
        return low + RANK_GAP
    if high - low < 2:
        return None
    return (low + high) // 2


# After a renumbering around a crowded spot, neighbours sit at least this far apart, so
# a dozen more cards fit at that very spot before the next renumbering.
RESPREAD_SPACING = RANK_GAP // 16


def _respread(project: Project, low: int, high: int, spacing: int) -> None:
    """Spread the project's tickets ranked strictly between low and high evenly over that
    interval, in their (rank, id) order: one UPDATE statement."""
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET rank = %s + ordered.position * %s "
            f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY rank, id) AS position "
            f"      FROM {table} WHERE project_id = %s AND rank > %s AND rank < %s) AS ordered "
            f"WHERE {table}.id = ordered.id",
            [low, spacing, project.pk, low, high],
        )


def project_ranks_rebalance(*, project: Project, around: int | None = None) -> None:
    """Make room in the project's order without changing it. The caller holds the project
    row lock (ticket_move and the backlog's ticket_rank do).

    With `around` (a crowded rank), only the smallest window of ranks around it that can
    hold its tickets RESPREAD_SPACING apart is renumbered: a handful of rows, not the
    project. Without it, every ticket is renumbered RANK_GAP apart."""
    if around is None:
        table = Ticket._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET rank = ordered.position * %s "
                f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY rank, id) AS position "
                f"      FROM {table} WHERE project_id = %s) AS ordered WHERE {table}.id = ordered.id",
                [RANK_GAP, project.pk],
            )
        return
    half_width = RANK_GAP
    while True:
        low, high = around - half_width, around + half_width
        crowd = Ticket.objects.filter(project=project, rank__gt=low, rank__lt=high).count()
        spacing = (high - low) // (crowd + 1)
        if spacing >= RESPREAD_SPACING:
            _respread(project, low=low, high=high, spacing=spacing)
            return
        half_width *= 4


def _new_rank(project: Project, ticket: Ticket, status: WorkflowStatus, after: Ticket | None) -> int:
    for _attempt in range(2):
        if after is not None:
            rank = _rank_between(after.rank, _column_neighbour_rank(project, ticket, status, after))
        else:
            first = (
                Ticket.objects.filter(project=project, status=status)
                .exclude(pk=ticket.pk)
                .order_by("rank", "id")
                .values_list("rank", flat=True)
                .first()
            )
            if first is None:  # an empty column: the card keeps its rank
                return ticket.rank
            rank = _rank_between(None, first)
        if rank is not None:
            return rank
        project_ranks_rebalance(project=project, around=after.rank if after is not None else ticket.rank)
        ticket.refresh_from_db(fields=["rank"])
        if after is not None:
            after.refresh_from_db(fields=["rank"])
    raise RuntimeError("No rank found after renumbering the project.")  # unreachable: ranks are RANK_GAP apart


def _is_project_admin(project: Project, user: User | None) -> bool:
    return bool(user) and Membership.objects.filter(project=project, user=user, role=Role.ADMIN).exists()


@transaction.atomic
def ticket_move(*, ticket: Ticket, user: User | None, status: WorkflowStatus | str, after: Ticket | str | None = None,
                version: int | None = None, override_reason: str = "") -> Ticket:
    """Put `ticket` in column `status`, right after `after` (a ticket or key in that column;
    None for the top). `version`, if given, must be the ticket's current version.

    Moving into a finished status asks the finish guards (metric gates...); their reasons
    refuse the move unless a project admin gives `override_reason`, which is recorded."""
    # Moves of one project queue on its row: two moves never compute the same midpoint.
    project = Project.objects.select_for_update().get(pk=ticket.project_id)
    current = Ticket.objects.select_for_update().select_related("status").get(pk=ticket.pk)
    current.project = project
    if version is not None and int(version) != current.version:
        raise StaleVersion(current)
    target = _resolve_status(project, status)
    anchor = _resolve_after(project, current, target, after)
    source = current.status

    status_changes = target.pk != source.pk
    if status_changes and target.is_finished and not source.is_finished:
        reasons = hooks.reasons_ticket_may_not_finish(current, user)
        if reasons:
            override_reason = (override_reason or "").strip()
            if not override_reason:
                raise ValidationError({"status": reasons})
            if not _is_project_admin(project, user):
                raise ValidationError({"status": reasons,
                                       "override_reason": ["Only a project admin can override these checks."]})
            ticket_event_record(ticket=current, actor=user, kind=TicketEvent.Kind.GATE_OVERRIDE, field="status",
                                old_value=source.slug, new_value=target.slug,
                                data={"reason": override_reason, "overridden": reasons})

    current.rank = _new_rank(project, current, target, anchor)
    becomes_finished = status_changes and target.is_finished and not source.is_finished
    if status_changes:
        current.status = target
        current.version += 1
        if becomes_finished:
            current.finished_at = timezone.now()
        elif not target.is_finished:
            current.finished_at = None
    current.full_clean(exclude=[f.name for f in Ticket._meta.fields if f.name not in CLEANED_FIELDS],
                       validate_unique=False, validate_constraints=False)
    current.save(update_fields=[*MOVE_FIELDS, "updated_at"])

    if status_changes:
        ticket_event_record(ticket=current, actor=user, kind=TicketEvent.Kind.MOVED, field="status",
                            old_value=source.slug, new_value=target.slug)
    if becomes_finished:
        for handler in hooks.ticket_finished_handlers:
            handler(current, user)
    live.announce(project_id=project.pk, kind="ticket.moved", ticket_key=current.key)
    return current

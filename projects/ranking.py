"""Board and backlog order: sparse integer ranks, so placing a card writes one row.

Order is a sparse integer `rank` (ordered by rank, then id), shared by the board and the
backlog. A new rank is the midpoint of its neighbours (rank_between); when two neighbours
have no integer left between them, project_ranks_rebalance makes room around the spot under
the project-row lock the caller (ticket_move, ticket_rank) holds. Every ranking rule lives
here; the services decide where a ticket goes."""

from django.db import connection
from django.db.models import Max

from .models import Project, Ticket

RANK_GAP = 1 << 16


def rank_at_end(project) -> int:
    """A rank after every ticket of the project: where new tickets go."""
    highest = Ticket.objects.filter(project=project).aggregate(m=Max("rank"))["m"]
    return (highest or 0) + RANK_GAP


def rank_between(low: int | None, high: int | None) -> int | None:
    """A rank strictly between two neighbours (None for no neighbour on that side), or
    None when no integer is left between them."""
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

"""Board and backlog order: sparse integer ranks, so placing a card writes one row.

A new rank is the midpoint of its neighbours; when two neighbours are adjacent integers the
column is renumbered in one locked transaction (the board owns that part)."""
from django.db.models import Max

RANK_GAP = 1 << 16


def rank_at_end(project) -> int:
    """A rank after every ticket of the project: where new tickets go."""
    from .models import Ticket

    highest = Ticket.objects.filter(project=project).aggregate(m=Max("rank"))["m"]
    return (highest or 0) + RANK_GAP

"""Ordering the backlog: drag a ticket between two others. The backlog and the board share
one project-wide rank, so this reuses the board's midpoint-and-renumber rules."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from .. import live
from ..models import Project, Ticket
from ..ranking import project_ranks_rebalance, rank_between


def _neighbour_rank(project: Project, ticket: Ticket, anchor: Ticket, *, after: bool) -> int | None:
    """The rank of the ticket right after (or before) `anchor` in the project order."""
    others = Ticket.objects.filter(project=project).exclude(pk=ticket.pk)
    if after:
        others = others.filter(Q(rank__gt=anchor.rank) | Q(rank=anchor.rank, id__gt=anchor.id)).order_by("rank", "id")
    else:
        others = others.filter(Q(rank__lt=anchor.rank) | Q(rank=anchor.rank, id__lt=anchor.id)).order_by("-rank", "-id")
    return others.values_list("rank", flat=True).first()


def _anchor(project: Project, value: Ticket | str | None, field: str) -> Ticket | None:
    """A neighbour given as a ticket or a key (None or "": none)."""
    if value is None or value == "" or isinstance(value, Ticket):
        return value or None
    found = Ticket.objects.filter(project=project, key=str(value)).first()
    if found is None:
        raise ValidationError({field: [f"No ticket {value} in {project.key}."]})
    return found


@transaction.atomic
def ticket_rank(
    *, ticket: Ticket, user, after: Ticket | str | None = None, before: Ticket | str | None = None
) -> Ticket:
    """Put `ticket` right after `after` (a ticket or key) in the project order or, when
    `after` is None, right before `before` (the top of the list when both are None). One
    row is written, unless the gap ran out and the project is renumbered under its row
    lock. The answer carries its status (what the backlog's drag is told)."""
    project = Project.objects.select_for_update().get(pk=ticket.project_id)
    after, before = _anchor(project, after, "after"), _anchor(project, before, "before")
    current = Ticket.objects.select_for_update(of=("self",)).select_related("status").get(pk=ticket.pk)
    for anchor in (after, before):
        if anchor is not None and (anchor.project_id != project.pk or anchor.pk == current.pk):
            raise ValidationError({"after": ["Place a ticket next to another ticket of the same project."]})
    for _attempt in range(2):
        if after is not None:
            after.refresh_from_db(fields=["rank"])
            rank = rank_between(after.rank, _neighbour_rank(project, current, after, after=True))
        elif before is not None:
            before.refresh_from_db(fields=["rank"])
            rank = rank_between(_neighbour_rank(project, current, before, after=False), before.rank)
        else:
            first = Ticket.objects.filter(project=project).exclude(pk=current.pk).order_by("rank", "id").first()
            rank = rank_between(None, first.rank) if first else current.rank
        if rank is not None:
            break
        project_ranks_rebalance(project=project)
    current.rank = rank
    Ticket.objects.filter(pk=current.pk).update(rank=rank)
    live.announce(project_id=project.pk, kind="ticket.ranked", ticket_key=current.key)
    return current

"""Seeding boards in bulk for query-budget tests (and nothing else)."""
from projects.models import Ticket
from projects.ranking import RANK_GAP


def seed_board(project, user, sprint, labels, count):
    """Bulk-insert `count` tickets spread over the columns (fast enough for 1,000)."""
    statuses = list(project.statuses.order_by("position"))
    start = project.ticket_counter
    tickets = Ticket.objects.bulk_create(
        Ticket(project=project, number=start + i + 1, key=f"{project.key}-{start + i + 1}", title=f"Seeded {i}",
               status=statuses[i % len(statuses)], sprint=sprint, assignee=user if i % 2 else None,
               estimate=i % 8, rank=(start + i + 1) * RANK_GAP)
        for i in range(count)
    )
    type(project).objects.filter(pk=project.pk).update(ticket_counter=start + count)
    Ticket.labels.through.objects.bulk_create(
        Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % len(labels)].pk) for i, t in enumerate(tickets)
    )
    return tickets

"""The project dashboard a stakeholder reads: sprint progress, velocity and where the
work stands. A fixed number of queries whatever the number of tickets."""
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..models import Priority, Project, Ticket, TicketType
from .board import active_sprint
from .sprints import project_velocity, sprint_burndown


def project_dashboard(*, project: Project) -> dict:
    today = timezone.localdate()
    open_tickets = Ticket.objects.filter(project=project, status__is_finished=False)
    totals = Ticket.objects.filter(project=project).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__is_finished=False)),
        overdue=Count("id", filter=Q(status__is_finished=False, due_date__lt=today)),
        urgent=Count("id", filter=Q(status__is_finished=False, priority=Priority.URGENT)),
        open_points=Sum("estimate", filter=Q(status__is_finished=False)),
    )
    by_type = dict(open_tickets.values_list("type").annotate(n=Count("id")).order_by())
    type_counts = [{"type": label, "count": by_type.get(value, 0)} for value, label in TicketType.choices]
    sprint = active_sprint(project=project)
    return {
        "totals": totals,
        "open_by_type": type_counts,
        "sprint": sprint,
        "burndown": sprint_burndown(sprint=sprint) if sprint else None,
        "velocity": project_velocity(project=project),
    }

"""The project dashboard a stakeholder reads: sprint progress, velocity and where the
work stands. A fixed number of queries whatever the number of tickets."""

from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..models import Priority, Project, Ticket, TicketType
from .board import active_sprint
from .sprints import project_velocity, sprint_burndown


def project_dashboard(*, project: Project) -> dict:
    today = timezone.localdate()
    open_ = Q(status__is_finished=False)
    # One pass over the project's tickets: the totals and the open tickets by type.
    figures = Ticket.objects.filter(project=project).aggregate(
        total=Count("id"),
        open=Count("id", filter=open_),
        overdue=Count("id", filter=open_ & Q(due_date__lt=today)),
        urgent=Count("id", filter=open_ & Q(priority=Priority.URGENT)),
        open_points=Sum("estimate", filter=open_),
        **{f"type_{value}": Count("id", filter=open_ & Q(type=value)) for value in TicketType.values},
    )
    type_counts = [{"type": label, "count": figures.pop(f"type_{value}")} for value, label in TicketType.choices]
    totals = figures
    sprint = active_sprint(project=project)
    return {
        "totals": totals,
        "open_by_type": type_counts,
        "sprint": sprint,
        "burndown": sprint_burndown(sprint=sprint) if sprint else None,
        "velocity": project_velocity(project=project),
    }

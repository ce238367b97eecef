"""Close-out: when a ticket is finished, the evidence of its linked runs is written into
its history, so it stays even if the MLflow server is wiped."""

from projects.models import Ticket, TicketEvent
from projects.services import ticket_event_record

from ..models import Run


def ticket_closeout_snapshot(ticket: Ticket, user) -> None:
    """Registered in projects.hooks.ticket_finished_handlers; runs inside the move's transaction."""
    runs = list(
        Run.objects.filter(links__ticket=ticket, links__active=True)
        .select_related("experiment")
        .order_by("start_time", "pk")
    )
    if not runs:
        return
    snapshot = [
        {
            "run_id": run.run_id,
            "name": run.name,
            "experiment": run.experiment.name,
            "status": run.status,
            "start_time": run.start_time.isoformat() if run.start_time else None,
            "end_time": run.end_time.isoformat() if run.end_time else None,
            "duration_seconds": run.duration_seconds,
            "params": run.params,
            "metrics": run.metrics,
            "source_commit": run.source_commit,
            "artifact_uri": run.artifact_uri,
            "deleted": run.deleted,
        }
        for run in runs
    ]
    total = sum(run.duration_seconds or 0 for run in runs if not run.deleted)
    ticket_event_record(
        ticket=ticket,
        actor=user,
        kind=TicketEvent.Kind.SNAPSHOT,
        field="runs",
        new_value=f"{len(runs)} runs, {total / 3600:.2f} h of compute",
        data={"runs": snapshot, "compute_seconds": total, "estimate": ticket.estimate},
    )

"""Reads of targets: each target's best value so far among the project's synced runs, the
run that holds it, the gap to the target, and the best so far over time for a chart."""

from django.db.models import IntegerField, Value

from projects.models import Ticket, TicketType

from ..best import improvements, record_runs
from ..models import Run, RunStatus, Target


def targets_for_project(*, project) -> list[Target]:
    return list(Target.objects.filter(project=project))


def _record_rows(project_id: int, targets: list[Target]) -> dict[int, list[dict]]:
    """Every target's record runs in one query (a UNION ALL of one window query per target)."""
    if not targets:
        return {}
    runs = Run.objects.filter(project_id=project_id, status=RunStatus.FINISHED, deleted=False)
    parts = [
        record_runs(runs, key=target.metric, higher_is_better=target.higher_is_better)
        .annotate(target_id=Value(target.pk, output_field=IntegerField()))
        .order_by()
        for target in targets
    ]
    combined = parts[0].union(*parts[1:], all=True).order_by("target_id", "at", "id") if len(parts) > 1 else parts[0]
    rows: dict[int, list[dict]] = {target.pk: [] for target in targets}
    for row in combined:
        rows[row["target_id"]].append(row)
    return rows


def target_progress(targets: list[Target]) -> list[dict]:
    """Per target: best value so far among the project's finished runs (NaN and infinities
    ignored), its run, the gap still to close (<= 0 once met), `series`, the points
    [time, best] where the best improved, and `records`, the runs that set them. Two queries
    at most whatever the number of runs and targets (the targets, read by the caller, and
    their record runs)."""
    if not targets:
        return []
    records = _record_rows(targets[0].project_id, targets)
    out = []
    for target in targets:
        steps = improvements(records[target.pk], higher_is_better=target.higher_is_better)
        best = steps[-1] if steps else None
        gap = None
        if best is not None:
            gap = target.target - best["value"] if target.higher_is_better else best["value"] - target.target
            gap = float(f"{gap:.12g}")  # 0.95 - 0.9123 is 0.0377, not 0.037699999999999956
        out.append(
            {
                "target": target,
                "best_value": best["value"] if best else None,
                "best_run": best["run_id"] if best else None,
                "best_run_name": (best["name"] or best["run_id"]) if best else None,
                "best_at": best["at"] if best else None,
                "gap": gap,
                "met": gap is not None and gap <= 0,
                "series": [(step["at"], step["value"]) for step in steps],
                # The runs behind `series`, in time order: {id, run_id, name, at, value}.
                "records": steps,
            }
        )
    return out


def gate_ticket_choices(*, project, limit: int = 100) -> list[dict]:
    """Tickets a gate from a target would usually guard, for the form's suggestions: the
    project's open epics and experiments, newest first (at most `limit`)."""
    return list(
        Ticket.objects.filter(
            project=project, type__in=[TicketType.EPIC, TicketType.EXPERIMENT], status__is_finished=False
        )
        .order_by("-number")
        .values("key", "title", "type")[:limit]
    )

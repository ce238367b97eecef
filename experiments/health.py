"""Health rules experiments adds to projects' (`projects.hooks.register_health_rule`, from
the AppConfig): failing metric gates on tickets of the active sprint, targets not met with
their deadline near or past, and the MLflow sync failing or stale. Each is bulk: one to
three queries for any number of projects. Also the dashboard API's targets
(`register_dashboard_targets`)."""

import datetime
from collections import defaultdict

from django.db.models import F, IntegerField, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.formats import date_format

from projects.health import AT_RISK, OFF_TRACK, Reason
from projects.models import SprintState, Ticket

from .best import improvements, record_runs
from .models import MlflowSource, Run, RunStatus, SyncRecord, Target
from .selectors.gates import gate_statuses_for_tickets
from .selectors.targets import target_progress, targets_for_project

NAMED_IN_REASON = 3


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED_IN_REASON])
    return f"{shown} and {len(names) - NAMED_IN_REASON} more" if len(names) > NAMED_IN_REASON else shown


def _number(value: float) -> str:
    return f"{value:.4g}"


def rule_failing_gates(projects, settings) -> dict[int, list[Reason]]:
    """Tickets of the active sprint with a metric gate that fails (finished runs have the
    metric and none meets it). Three queries."""
    tickets = {
        row["id"]: row
        for row in Ticket.objects.filter(
            project_id__in=[p.pk for p in projects], sprint__state=SprintState.ACTIVE, metric_gates__isnull=False
        )
        .order_by("number")
        .values("id", "key", "project_id")
        .distinct()
    }
    failing: dict[int, list[str]] = defaultdict(list)
    for ticket_id, gates in gate_statuses_for_tickets(tickets).items():
        bad = [gate["gate"] for gate in gates if gate["status"] == "fail"]
        if bad:
            row = tickets[ticket_id]
            failing[row["project_id"]].append(f"{row['key']} ({', '.join(bad)})")
    return {
        project_id: [
            Reason(
                "failing_gates",
                f"Metric gates failing on {len(names)} ticket{'s' if len(names) > 1 else ''} of the active sprint: "
                f"{_named(names)}.",
                AT_RISK,
            )
        ]
        for project_id, names in failing.items()
    }


def _best_values(targets: list[Target]) -> dict[int, float | None]:
    """Each target's best value so far among its project's finished runs: one query (a
    UNION ALL of one window query per target, as on the Targets page)."""
    if not targets:
        return {}
    parts = [
        record_runs(
            Run.objects.filter(project_id=target.project_id, status=RunStatus.FINISHED, deleted=False),
            key=target.metric,
            higher_is_better=target.higher_is_better,
        )
        .annotate(target_id=Value(target.pk, output_field=IntegerField()))
        .order_by()
        for target in targets
    ]
    combined = parts[0].union(*parts[1:], all=True).order_by("target_id", "at", "id") if len(parts) > 1 else parts[0]
    rows: dict[int, list[dict]] = defaultdict(list)
    for row in combined:
        rows[row["target_id"]].append(row)
    best = {}
    for target in targets:
        steps = improvements(rows[target.pk], higher_is_better=target.higher_is_better)
        best[target.pk] = steps[-1]["value"] if steps else None
    return best


def _met(target: Target, best: float | None) -> bool:
    if best is None:
        return False
    return best >= target.target if target.higher_is_better else best <= target.target


def rule_targets_near_deadline(projects, settings) -> dict[int, list[Reason]]:
    """Targets not met with their deadline within the project's number of days (at risk)
    or past (off track). Two queries."""
    today = timezone.localdate()
    furthest = max((s.target_days for s in settings.values()), default=0)
    targets = [
        target
        for target in Target.objects.filter(
            project_id__in=[p.pk for p in projects],
            deadline__isnull=False,
            deadline__lte=today + datetime.timedelta(days=furthest),
        ).order_by("deadline", "metric", "id")
        if target.deadline <= today + datetime.timedelta(days=settings[target.project_id].target_days)
    ]
    best = _best_values(targets)
    out: dict[int, list[Reason]] = defaultdict(list)
    for target in targets:
        value = best[target.pk]
        if _met(target, value):
            continue
        so_far = f"best so far {_number(value)}" if value is not None else "no finished run has logged it yet"
        when = date_format(target.deadline, "MONTH_DAY_FORMAT")
        if target.deadline < today:
            message = f"Target {target} is not met and its deadline ({when}) has passed: {so_far}."
            severity = OFF_TRACK
        else:
            days = (target.deadline - today).days
            due = "today" if days == 0 else f"in {days} day{'s' if days > 1 else ''}"
            message = f"Target {target} is not met with its deadline {due} ({when}): {so_far}."
            severity = AT_RISK
        out[target.project_id].append(Reason("target_deadline", message, severity))
    return dict(out)


def rule_sync(projects, settings) -> dict[int, list[Reason]]:
    """Enabled MLflow sources whose last finished sync failed, or whose last good sync is
    older than the project's number of hours (or that never synced in that time). One query."""
    now = timezone.now()
    syncs = SyncRecord.objects.filter(source=OuterRef("pk"))
    last_ok = syncs.filter(status=SyncRecord.Status.OK).order_by(F("finished_at").desc(nulls_last=True), "-id")
    last_finished = syncs.filter(status__in=[SyncRecord.Status.OK, SyncRecord.Status.ERROR]).order_by(
        "-created_at", "-id"
    )
    sources = (
        MlflowSource.objects.filter(project_id__in=[p.pk for p in projects], enabled=True)
        .annotate(
            last_ok_at=Subquery(last_ok.values("finished_at")[:1]),
            last_status=Subquery(last_finished.values("status")[:1]),
            last_error=Subquery(last_finished.values("error")[:1]),
        )
        .values("id", "name", "tracking_uri", "project_id", "created_at", "last_ok_at", "last_status", "last_error")
        .order_by("id")
    )
    out: dict[int, list[Reason]] = defaultdict(list)
    for source in sources:
        label = source["name"] or source["tracking_uri"]
        hours = settings[source["project_id"]].sync_stale_hours
        stale_before = now - datetime.timedelta(hours=hours)
        if source["last_status"] == SyncRecord.Status.ERROR:
            error = (source["last_error"] or "").strip().splitlines()
            detail = f": {error[0][:160]}" if error else ""
            out[source["project_id"]].append(
                Reason("sync_failing", f"The MLflow sync of {label} is failing{detail}.", AT_RISK)
            )
        elif (source["last_ok_at"] or source["created_at"]) < stale_before:
            if source["last_ok_at"]:
                when = date_format(timezone.localtime(source["last_ok_at"]), "DATETIME_FORMAT")
                detail = f"its last successful sync was {when}, more than {hours} hours ago"
            else:
                detail = f"no successful sync since it was added, more than {hours} hours ago"
            out[source["project_id"]].append(
                Reason("sync_stale", f"The MLflow sync of {label} is stale: {detail}.", AT_RISK)
            )
    return dict(out)


def dashboard_targets(project) -> list[dict]:
    """The project's targets for the dashboard API: metric, direction, target, best value
    and its run, met. Two queries."""
    return [
        {
            "metric": row["target"].metric,
            "direction": row["target"].direction,
            "target": row["target"].target,
            "baseline": row["target"].baseline,
            "deadline": row["target"].deadline,
            "primary": row["target"].primary,
            "best_value": row["best_value"],
            "best_run": row["best_run"],
            "gap": row["gap"],
            "met": row["met"],
        }
        for row in target_progress(targets_for_project(project=project))
    ]

"""Reads for status reports: the figures a report shows, the project's reports, and the
projects whose weekly report is due. `status_report_figures` costs the same number of
queries whatever the number of tickets, runs, gates or risks (tests/docs_hub/test_reports.py
counts them at two sizes)."""

import datetime

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from experiments.models import MetricGate, Target
from experiments.selectors import gate_statuses_for_tickets, target_progress
from projects.health import STATUS_LABELS
from projects.models import Project, Risk, RiskStatus, SprintState, Ticket, TicketType, risk_score_expression
from projects.selectors import active_sprint
from projects.selectors.figures import sprint_progress
from projects.selectors.health import project_health
from projects.selectors.lifecycle import next_milestones

from ..models import Doc, StatusReport
from ..reports import PARENT_TITLE, UTC, due_period

NEXT_TICKETS = 5
# Runs listed per target as "moved it since the last report" (the latest ones).
MOVES_PER_TARGET = 5


def latest_status_report(*, project: Project) -> StatusReport | None:
    return StatusReport.objects.filter(project=project).select_related("doc").order_by("-generated_at", "-id").first()


def status_reports(*, project: Project, limit: int = 8) -> list[StatusReport]:
    """The project's latest reports whose page is alive, newest first, with their page."""
    return list(
        StatusReport.objects.filter(project=project, doc__isnull=False, doc__deleted_at__isnull=True)
        .select_related("doc")
        .only("id", "period", "trigger", "generated_at", "figures", "doc__title", "doc__slug")
        .order_by("-generated_at", "-id")[:limit]
    )


def status_reports_parent(*, project: Project) -> Doc | None:
    """The live page "Status reports" of the project (by title, any case), if there is one."""
    return (
        Doc.objects.filter(project=project, title__iexact=PARENT_TITLE, deleted_at__isnull=True).order_by("id").first()
    )


def projects_due_for_report(*, now: datetime.datetime) -> list[tuple[int, datetime.date]]:
    """(project id, period) of every project whose weekly report is due at `now` and not
    written yet. Two queries whatever the number of projects."""
    now = now.astimezone(UTC)
    weekdays = {now.weekday(), (now - datetime.timedelta(days=1)).weekday()}  # a slot's window is a day
    candidates = []
    for project_id, weekday, at in Project.objects.filter(
        status_report_enabled=True, status_report_weekday__in=weekdays
    ).values_list("id", "status_report_weekday", "status_report_time"):
        period = due_period(now, weekday=weekday, at=at)
        if period is not None:
            candidates.append((project_id, period))
    if not candidates:
        return []
    written = set(
        StatusReport.objects.filter(
            project_id__in=[pid for pid, _ in candidates], period__in={period for _, period in candidates}
        ).values_list("project_id", "period")
    )
    return [candidate for candidate in candidates if candidate not in written]


# --- The figures of one report -------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _run_url(project: Project, run_id: str | None) -> str | None:
    return reverse("experiments:run", kwargs={"key": project.key, "run_id": run_id}) if run_id else None


def _health(project: Project) -> dict:
    health = project_health(project)
    return {
        "status": health.status,
        "label": health.label,
        "reasons": [
            {
                "code": reason.code,
                "message": reason.message,
                "severity": reason.severity,
                "severity_label": STATUS_LABELS.get(reason.severity, reason.severity),
            }
            for reason in health.reasons
        ],
    }


def _sprint(project: Project, today: datetime.date) -> dict | None:
    """The active sprint's progress as the dashboard computes it (selectors.figures)."""
    progress = sprint_progress(active_sprint(project=project), today=today)
    if progress is None:
        return None
    return {
        **progress,
        "start_date": progress["start_date"].isoformat(),
        "end_date": progress["end_date"].isoformat(),
        "url": reverse("projects:sprint", kwargs={"key": project.key, "sprint_id": progress["id"]}),
    }


def _targets(project: Project, previous: dict | None) -> list[dict]:
    then = {row["metric"]: row.get("best_value") for row in (previous or {}).get("targets", [])}
    rows = []
    for progress in target_progress(list(Target.objects.filter(project=project))):
        target = progress["target"]
        before = then.get(target.metric)
        better = (lambda v, b=before: v > b) if target.higher_is_better else (lambda v, b=before: v < b)
        moves = [step for step in progress["records"] if before is None or better(step["value"])]
        rows.append(
            {
                "id": target.pk,
                "metric": target.metric,
                "direction": target.direction,
                "target": target.target,
                "baseline": target.baseline,
                "deadline": _iso(target.deadline),
                "primary": target.primary,
                "best_value": progress["best_value"],
                "best_run": progress["best_run"],
                "best_run_name": progress["best_run_name"],
                "best_run_url": _run_url(project, progress["best_run"]),
                "met": progress["met"],
                "gap": progress["gap"],
                "then_value": before,
                "moved_by": [
                    {
                        "run_id": step["run_id"],
                        "name": step["name"] or step["run_id"],
                        "value": step["value"],
                        "date": timezone.localtime(step["at"]).date().isoformat() if step["at"] else "",
                        "url": _run_url(project, step["run_id"]),
                    }
                    for step in moves[-MOVES_PER_TARGET:]
                ],
            }
        )
    return rows


def _gates(project: Project) -> list[dict]:
    tickets = {
        ticket_id: (key, title)
        for ticket_id, key, title in MetricGate.objects.filter(ticket__project=project)
        .order_by()
        .values_list("ticket_id", "ticket__key", "ticket__title")
        .distinct()
    }
    if not tickets:
        return []
    rows = []
    for ticket_id, gates in sorted(gate_statuses_for_tickets(list(tickets)).items()):
        for gate in gates:
            rows.append(
                {
                    "id": gate["id"],
                    "ticket_key": tickets[ticket_id][0],
                    "ticket_title": tickets[ticket_id][1],
                    "gate": gate["gate"],
                    "status": gate["status"],
                    "best_value": gate["best_value"],
                    "best_run": gate["best_run"],
                    "best_run_name": gate["best_run_name"] or gate["best_run"],
                    "best_run_url": _run_url(project, gate["best_run"]),
                }
            )
    return rows


def _risks(project: Project, since: datetime.datetime | None) -> tuple[list[dict], list[dict]]:
    risks = Risk.objects.filter(project=project)
    if since is not None:
        risks = risks.filter(Q(created_at__gt=since) | Q(closed_at__gt=since))
    opened, closed = [], []
    labels = dict(RiskStatus.choices)
    for risk in (
        risks.annotate(score=risk_score_expression())
        .order_by("-score", "-id")
        .values("id", "title", "status", "score", "created_at", "closed_at")[:200]
    ):
        row = {
            "id": risk["id"],
            "title": risk["title"],
            "score": risk["score"],
            "status": risk["status"],
            "status_label": labels.get(risk["status"], risk["status"]),
            "url": reverse("projects:risk", kwargs={"key": project.key, "risk_id": risk["id"]}),
        }
        if since is None or risk["created_at"] > since:
            opened.append(row)
        if risk["closed_at"] is not None and (since is None or risk["closed_at"] > since):
            closed.append(row)
    return opened, closed


def _next(project: Project) -> dict:
    milestone = next_milestones([project.pk]).get(project.pk)
    tickets = (
        Ticket.objects.filter(project=project, status__is_finished=False)
        .exclude(type=TicketType.EPIC)
        .filter(Q(sprint__isnull=True) | Q(sprint__state=SprintState.PLANNED))
        .order_by(F("sprint__start_date").asc(nulls_last=True), "rank", "id")
        .values("key", "title", "estimate", "status__name", "sprint__name")[:NEXT_TICKETS]
    )
    return {
        "milestone": {"name": milestone.name, "due_date": milestone.due_date.isoformat()} if milestone else None,
        "tickets": [
            {
                "key": t["key"],
                "title": t["title"],
                "estimate": t["estimate"],
                "status": t["status__name"],
                "sprint": t["sprint__name"],
            }
            for t in tickets
        ],
    }


def _changed(now_rows: list[dict], before: list[dict] | None, status: str) -> list[dict]:
    """Gates whose status is `status` now and was not at the last report (all, the first time)."""
    was = {row["id"]: row["status"] for row in before or []}
    return [row for row in now_rows if row["status"] == status and was.get(row["id"]) != status]


def status_report_figures(*, project: Project, previous: StatusReport | None, now: datetime.datetime) -> dict:
    """Everything a report shows, as JSON-ready data (stored with the report, so the next
    one can say what moved since): health with its reasons, the active sprint's figures,
    each target's best then and now with the runs that moved it, gates passed and failed
    and risks opened and closed (or accepted) since `previous` (everything so far when there is none),
    the next milestone and the top of the backlog."""
    before = previous.figures if previous is not None else None
    gates = _gates(project)
    opened, closed = _risks(project, previous.generated_at if previous is not None else None)
    return {
        "project_key": project.key,
        "project_name": project.name,
        "generated_at": now.isoformat(),
        "previous": (
            {
                "id": previous.pk,
                "title": previous.doc.title if previous.doc and previous.doc.deleted_at is None else None,
                "generated_at": previous.generated_at.isoformat(),
            }
            if previous is not None
            else None
        ),
        "health": _health(project),
        "sprint": _sprint(project, timezone.localdate(now)),
        "targets": _targets(project, before),
        "gates": gates,
        "gates_passed": _changed(gates, before and before.get("gates"), "pass"),
        "gates_failed": _changed(gates, before and before.get("gates"), "fail"),
        "risks_opened": opened,
        "risks_closed": closed,
        "next": _next(project),
    }

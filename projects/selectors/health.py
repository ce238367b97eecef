"""Project health: on track, at risk or off track, always with the reasons that fired.

Each rule is bulk: it takes every project at once and answers {project_id: [Reason]}, so
the portfolio's 50 projects cost the same queries as one project's dashboard. The rules
here read what `projects` holds (the active sprint's burndown, blocked tickets, open high
risks); other apps add theirs through `hooks.register_health_rule` (experiments: failing
gates in the active sprint, targets not met near their deadline, the MLflow sync)."""

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import hooks, live
from ..health import AT_RISK, OFF_TRACK, Health, HealthSettings, Reason
from ..models import (
    ACTIVE_RISK_STATUSES,
    HIGH_RISK_SCORE,
    Project,
    RelationKind,
    Risk,
    Sprint,
    Ticket,
    TicketEvent,
    TicketRelation,
    risk_score_expression,
)
from .sprints import active_sprints, sprint_summaries

# How many ticket keys or risk titles a reason names before "and N more".
NAMED_IN_REASON = 3
# A workflow status with this slug holds blocked tickets (a team's "Blocked" column).
BLOCKED_STATUS_SLUG = "blocked"

__all__ = ["AT_RISK", "OFF_TRACK", "Health", "HealthSettings", "Reason", "project_health", "projects_health"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _named(names: list[str], total: int) -> str:
    shown = ", ".join(names[:NAMED_IN_REASON])
    return f"{shown} and {total - NAMED_IN_REASON} more" if total > NAMED_IN_REASON else shown


def burndown_ideal_today(sprint: Sprint, committed: float, today: datetime.date) -> float:
    """Where the burndown's ideal line stands at the end of `today`: a straight line from
    the committed points on the day the sprint started to zero on its end date (the
    dashboard chart's line, `sprint_burndown`)."""
    first_day = timezone.localtime(sprint.started_at).date() if sprint.started_at else sprint.start_date
    span = max((max(sprint.end_date, first_day) - first_day).days, 1)
    elapsed = min(max((today - first_day).days, 0), span)
    return committed * (1 - elapsed / span)


def rule_burndown(projects: list[Project], settings: dict[int, HealthSettings]) -> dict[int, list[Reason]]:
    """The active sprint's remaining points above the ideal line by more than the
    project's threshold (a share of the committed points): at risk; twice it: off track.
    Two queries for any number of projects."""
    sprints = active_sprints(project_ids=[p.pk for p in projects])
    figures = sprint_summaries(sprints=sprints)
    today = timezone.localdate()
    out: dict[int, list[Reason]] = {}
    for sprint in sprints:
        numbers = figures[sprint.pk]
        committed = numbers["committed"] or numbers["scope"]
        if committed <= 0:
            continue
        ideal = burndown_ideal_today(sprint, committed, today)
        behind = (numbers["remaining"] - ideal) / committed * 100
        threshold = settings[sprint.project_id].burndown_behind_pct
        if behind <= threshold:
            continue
        out[sprint.project_id] = [
            Reason(
                "burndown_behind",
                f"{sprint.name} is behind its burndown: {numbers['remaining']} points left where the ideal line "
                f"is at {ideal:.0f} ({behind:.0f} % of the {committed} committed points; the threshold is "
                f"{threshold} %).",
                OFF_TRACK if behind > 2 * threshold else AT_RISK,
            )
        ]
    return out


def rule_blocked(projects: list[Project], settings: dict[int, HealthSettings]) -> dict[int, list[Reason]]:
    """Open tickets blocked for more than the project's number of days: blocked by an open
    ticket ("is blocked by", a `blocks` relation; since the oldest such relation), or sitting
    in a workflow status whose slug is "blocked" (since they entered it). One query."""
    now = timezone.now()
    ids = [p.pk for p in projects]
    shortest = now - datetime.timedelta(days=min((s.blocked_days for s in settings.values()), default=1))
    by_relation = (
        TicketRelation.objects.filter(
            kind=RelationKind.BLOCKS,
            target__project_id__in=ids,
            target__status__is_finished=False,
            source__status__is_finished=False,
            created_at__lt=shortest,
        )
        .values(project_id=F("target__project_id"), key=F("target__key"), number=F("target__number"))
        .annotate(since=Min("created_at"))
        .order_by()
    )
    entered = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), field="status", new_value=BLOCKED_STATUS_SLUG)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    by_status = (
        Ticket.objects.filter(project_id__in=ids, status__slug=BLOCKED_STATUS_SLUG, status__is_finished=False)
        .annotate(since=Coalesce(Subquery(entered), "created_at"))
        .filter(since__lt=shortest)
        .order_by()
        .values("project_id", "key", "number", "since")
    )
    oldest: dict[int, dict[str, dict]] = defaultdict(dict)
    # One query for both (a UNION ALL): each side through its own indexes, as before.
    for row in by_relation.union(by_status, all=True):
        known = oldest[row["project_id"]].get(row["key"])
        if known is None or row["since"] < known["since"]:
            oldest[row["project_id"]][row["key"]] = row
    out = {}
    for project_id, rows in oldest.items():
        limit = settings[project_id].blocked_days
        tickets = sorted(
            (row for row in rows.values() if now - row["since"] > datetime.timedelta(days=limit)),
            key=lambda row: (row["since"], row["number"]),
        )
        if not tickets:
            continue
        names = [f"{row['key']} ({_plural((now - row['since']).days, 'day')})" for row in tickets]
        out[project_id] = [
            Reason(
                "blocked_tickets",
                f"{_plural(len(tickets), 'ticket')} blocked for more than {_plural(limit, 'day')}: "
                f"{_named(names, len(names))}.",
                AT_RISK,
            )
        ]
    return out


def rule_high_risks(projects: list[Project], settings: dict[int, HealthSettings]) -> dict[int, list[Reason]]:
    """Open or mitigating risks scoring HIGH_RISK_SCORE or more (`open_high_risks`): one is
    at risk, the project's threshold count is off track. One query."""
    rows = (
        Risk.objects.filter(project_id__in=[p.pk for p in projects], status__in=ACTIVE_RISK_STATUSES)
        .annotate(risk_score=risk_score_expression())
        .filter(risk_score__gte=HIGH_RISK_SCORE)
        .order_by("project_id", F("risk_score").desc(), "-id")
        .values("project_id", "title", "risk_score")
    )
    found: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        found[row["project_id"]].append(row)
    out = {}
    for project_id, risks in found.items():
        off = settings[project_id].high_risks_off_track
        names = [f"“{r['title']}” (score {r['risk_score']})" for r in risks]
        out[project_id] = [
            Reason(
                "high_risks",
                f"{_plural(len(risks), 'high risk')} open: {_named(names, len(names))}.",
                OFF_TRACK if len(risks) >= off else AT_RISK,
            )
        ]
    return out


PROJECT_RULES = (rule_burndown, rule_blocked, rule_high_risks)


def _evaluate(projects: list[Project], settings: dict[int, HealthSettings]) -> dict[int, Health]:
    reasons: dict[int, list[Reason]] = {p.pk: [] for p in projects}
    for rule in (*PROJECT_RULES, *hooks.health_rules):
        for project_id, found in rule(projects, settings).items():
            if project_id in reasons:
                reasons[project_id].extend(found)
    return {project_id: Health(found) for project_id, found in reasons.items()}


def projects_health(projects: Iterable[Project]) -> dict[int, Health]:
    """{project id: Health} for these projects: every rule once for all of them, so the
    number of queries does not grow with the number of projects (or of their tickets).

    Kept until the project's next announced change or for AIHUB_FIGURES_CACHE_SECONDS
    (`live.kept_until_changed`), and while its thresholds stay the same: a change shows on
    the next view; what moves with the clock alone (days blocked, a sync growing stale) or is
    not announced (a sync's end) within that many seconds."""
    projects = list(projects)
    if not projects:
        return {}
    settings = {p.pk: HealthSettings.of(p) for p in projects}
    by_id = {p.pk: p for p in projects}
    return live.kept_until_changed(
        "health",
        list(by_id),
        lambda ids: _evaluate([by_id[pk] for pk in ids], settings),
        stamps={pk: dataclasses.astuple(found) for pk, found in settings.items()},
    )


def project_health(project: Project) -> Health:
    return projects_health([project])[project.pk]

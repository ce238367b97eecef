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

from django.db import connection
from django.db.models import F
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
    WorkflowStatus,
    risk_score_expression,
)
from .sprints import active_sprints, sprint_summaries, timestamp_from_text

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


def _blocked_sql(projects: int) -> str:
    """rule_blocked's two kinds of blocked ticket in one statement (a UNION ALL, each side
    through its own indexes), as SQL: compiling it as querysets cost three times running it.
    Rows: project id, key, number, since (as text, for `timestamp_from_text`)."""
    ticket, status, relation, event = (
        model._meta.db_table for model in (Ticket, WorkflowStatus, TicketRelation, TicketEvent)
    )
    in_projects = ", ".join(["%s"] * projects)
    return f"""
        SELECT t.project_id, t.key, t.number, CAST(MIN(r.created_at) AS TEXT)
          FROM {relation} r
          JOIN {ticket} t ON t.id = r.target_id JOIN {status} ts ON ts.id = t.status_id
          JOIN {ticket} s ON s.id = r.source_id JOIN {status} ss ON ss.id = s.status_id
         WHERE r.kind = %s AND t.project_id IN ({in_projects}) AND NOT ts.is_finished AND NOT ss.is_finished
           AND r.created_at < %s
         GROUP BY t.project_id, t.key, t.number
        UNION ALL
        SELECT project_id, key, number, CAST(since AS TEXT) FROM (
            SELECT t.project_id, t.key, t.number, COALESCE(
                (SELECT e.created_at FROM {event} e
                  WHERE e.ticket_id = t.id AND e.field = 'status' AND e.new_value = %s
                  ORDER BY e.created_at DESC, e.id DESC LIMIT 1),
                t.created_at) AS since
              FROM {ticket} t JOIN {status} st ON st.id = t.status_id
             WHERE t.project_id IN ({in_projects}) AND st.slug = %s AND NOT st.is_finished
        ) entered WHERE since < %s
    """


def rule_blocked(projects: list[Project], settings: dict[int, HealthSettings]) -> dict[int, list[Reason]]:
    """Open tickets blocked for more than the project's number of days: blocked by an open
    ticket ("is blocked by", a `blocks` relation; since the oldest such relation), or sitting
    in a workflow status whose slug is "blocked" (since they entered it). One query."""
    now = timezone.now()
    ids = [p.pk for p in projects]
    shortest = now - datetime.timedelta(days=min((s.blocked_days for s in settings.values()), default=1))
    oldest: dict[int, dict[str, dict]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(
            _blocked_sql(len(ids)),
            [
                RelationKind.BLOCKS,
                *ids,
                connection.ops.adapt_datetimefield_value(shortest),
                BLOCKED_STATUS_SLUG,
                *ids,
                BLOCKED_STATUS_SLUG,
                connection.ops.adapt_datetimefield_value(shortest),
            ],
        )
        for project_id, key, number, since_text in cursor.fetchall():
            row = {"project_id": project_id, "key": key, "number": number, "since": timestamp_from_text(since_text)}
            known = oldest[project_id].get(key)
            if known is None or row["since"] < known["since"]:
                oldest[project_id][key] = row
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

"""The regression sentinel: newly synced runs compared with the project's champion."""

import logging
import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects import live
from projects import services as project_services
from projects.models import Project, TicketEvent, TicketType

from ..models import MlflowSource, ModelVersion, RegressionFlag, Run, RunLink, RunStatus, Sentinel
from ..numbers import metric_text

logger = logging.getLogger(__name__)


@transaction.atomic
def sentinel_configure(
    *,
    project: Project,
    metric: str,
    champion_kind: str = Sentinel.ChampionKind.ALIAS,
    model_name: str = "",
    alias: str = "champion",
    champion_run_id: str = "",
    higher_is_better: bool = True,
    tolerance: float = 0.0,
) -> Sentinel:
    if champion_kind == Sentinel.ChampionKind.ALIAS and not model_name.strip():
        raise ValidationError({"model_name": ["Name the registered model whose alias is the champion."]})
    if champion_kind == Sentinel.ChampionKind.RUN and not champion_run_id.strip():
        raise ValidationError({"champion_run_id": ["Give the champion run's id."]})
    if tolerance is None or tolerance < 0 or not math.isfinite(tolerance):
        raise ValidationError({"tolerance": ["A tolerance is a number of zero or more."]})
    sentinel, _ = Sentinel.objects.get_or_create(project=project, defaults={"metric": metric})
    for field, value in {
        "metric": metric.strip(),
        "champion_kind": champion_kind,
        "model_name": model_name.strip(),
        "alias": alias.strip(),
        "champion_run_id": champion_run_id.strip(),
        "higher_is_better": higher_is_better,
        "tolerance": tolerance,
    }.items():
        setattr(sentinel, field, value)
    sentinel.full_clean()
    sentinel.save()
    return sentinel


def champion_run(sentinel: Sentinel) -> Run | None:
    runs = Run.objects.filter(project_id=sentinel.project_id, purged=False)
    if sentinel.champion_kind == Sentinel.ChampionKind.RUN:
        return runs.filter(run_id=sentinel.champion_run_id).first()
    versions = ModelVersion.objects.filter(source__project_id=sentinel.project_id, name=sentinel.model_name)
    for version in versions:
        if sentinel.alias in (version.aliases or []):
            return runs.filter(run_id=version.run_id, source_id=version.source_id).first()
    return None


def _worse(sentinel: Sentinel, value: float, champion: float) -> bool:
    if sentinel.higher_is_better:
        return value < champion - sentinel.tolerance
    return value > champion + sentinel.tolerance


def sentinel_check(*, source: MlflowSource, changed_since) -> list[RegressionFlag]:
    """Flag finished runs of this source changed by the sync that fall below the champion."""
    sentinel = Sentinel.objects.filter(project_id=source.project_id).first()
    if sentinel is None:
        return []
    champion = champion_run(sentinel)
    champion_value = champion.metric_value(sentinel.metric) if champion else None
    if champion_value is None or math.isnan(champion_value):
        return []
    candidates = (
        Run.objects.filter(
            source=source,
            updated_at__gte=changed_since,
            status=RunStatus.FINISHED,
            deleted=False,
            metrics__has_key=sentinel.metric,
            start_time__gte=sentinel.since,
        )
        .exclude(pk=champion.pk)
        .exclude(regressions__champion_run_id=champion.run_id, regressions__metric=sentinel.metric)
    )
    flags = []
    for run in candidates.order_by("start_time", "pk")[:200]:
        value = run.metric_value(sentinel.metric)
        if value is None or math.isnan(value) or not _worse(sentinel, value, champion_value):
            continue
        flags.append(_flag(sentinel=sentinel, run=run, champion=champion, champion_value=champion_value, value=value))
    if flags:  # regression badges on boards and ticket pages: one announcement for the check
        live.announce(project_id=source.project_id, kind="runs.regressions")
    return flags


@transaction.atomic
def _flag(*, sentinel: Sentinel, run: Run, champion: Run, champion_value: float, value: float) -> RegressionFlag:
    differences = _differences(run, champion)
    summary = (
        f"Run {run.name or run.run_id} has {sentinel.metric} = {metric_text(value)}, below the champion "
        f"{champion.name or champion.run_id} ({metric_text(champion_value)}) by more than the tolerance "
        f"{sentinel.tolerance:g}."
    )
    regression_ticket = _regression_ticket(sentinel=sentinel, summary=summary, differences=differences)
    flag = RegressionFlag.objects.create(
        run=run,
        champion_run_id=champion.run_id,
        metric=sentinel.metric,
        champion_value=champion_value,
        run_value=value,
        tolerance=sentinel.tolerance,
        regression_ticket=regression_ticket,
    )
    for link in RunLink.objects.filter(run=run, active=True).select_related("ticket"):
        project_services.ticket_event_record(
            ticket=link.ticket,
            actor=None,
            kind=TicketEvent.Kind.NOTE,
            field="regression",
            new_value=summary,
            data={
                "action": "regression",
                "run_id": run.run_id,
                "champion_run_id": champion.run_id,
                "metric": sentinel.metric,
                "value": value,
                "champion_value": champion_value,
                "regression_ticket": regression_ticket.key if regression_ticket else None,
            },
        )
    return flag


def _differences(run: Run, champion: Run) -> str:
    lines = ["| | champion | this run |", "| --- | --- | --- |"]
    for key in sorted(set(run.metrics) | set(champion.metrics)):
        lines.append(f"| metric `{key}` | {champion.metrics.get(key, '—')} | {run.metrics.get(key, '—')} |")
    for key in sorted(set(run.params) | set(champion.params)):
        if run.params.get(key) != champion.params.get(key):
            lines.append(f"| param `{key}` | {champion.params.get(key, '—')} | {run.params.get(key, '—')} |")
    return "\n".join(lines)


def _regression_ticket(*, sentinel: Sentinel, summary: str, differences: str):
    """Open the project's regression ticket, or reopen it if it was finished; note the
    differences in its history."""
    ticket = sentinel.regression_ticket
    body = f"{summary}\n\n{differences}"
    if ticket is not None and ticket.status.is_finished:
        first_open = ticket.project.statuses.filter(is_finished=False).order_by("position", "id").first()
        if first_open is not None:
            project_services.ticket_move(ticket=ticket, user=None, status=first_open)
            ticket.refresh_from_db()
        else:  # a workflow with no open status: a fresh ticket is the only way to reopen
            ticket = None
    if ticket is None:
        ticket = project_services.ticket_create(
            project=sentinel.project,
            reporter=None,
            title=f"Regression on {sentinel.metric}",
            type=TicketType.BUG,
            description=body,
        )
        Sentinel.objects.filter(pk=sentinel.pk).update(regression_ticket=ticket)
        sentinel.regression_ticket = ticket
    project_services.ticket_event_record(
        ticket=ticket,
        actor=None,
        kind=TicketEvent.Kind.NOTE,
        field="regression",
        new_value=summary,
        data={"action": "regression", "differences": differences, "at": timezone.now().isoformat()},
    )
    return ticket

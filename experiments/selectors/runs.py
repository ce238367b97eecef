"""Reads of runs: experiments, the runs tables and their columns, a run's page, compare,
charts, a ticket's runs."""

import math
from collections import defaultdict

from django.db import connection
from django.db.models import Count, F, FloatField, Max, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from projects import live
from projects.access import scope
from projects.models import Project, Ticket

from ..models import (
    Experiment,
    MetricPoint,
    ModelVersion,
    RegressionFlag,
    Run,
    RunLink,
    RunTablePreference,
)
from ..run_filters import run_filter

SORTABLE_ATTRIBUTES = {"name", "start_time", "end_time", "status", "user_id"}
MAX_COMPARE = 10
MAX_CHART_POINTS = 500


def experiments_for_project(*, project: Project) -> QuerySet[Experiment]:
    return (
        Experiment.objects.filter(source__project=project)
        .annotate(run_count=Count("runs", filter=Q(runs__purged=False)))
        .select_related("source")
        .order_by("name", "pk")
    )


def run_queryset(*, project: Project) -> QuerySet[Run]:
    return Run.objects.filter(project=project).select_related("experiment")


def runs_filtered(
    *,
    project: Project,
    experiment: str = "",
    experiment_pk: int | None = None,
    status: str = "",
    ticket: str = "",
    q: str = "",
    include_deleted: bool = False,
    sort: str = "",
) -> QuerySet[Run]:
    """`experiment`: an MLflow experiment name or id (API); `experiment_pk`: our row (pages)."""
    runs = run_queryset(project=project)
    if not include_deleted:
        runs = runs.filter(deleted=False)
    if experiment_pk is not None:
        runs = runs.filter(experiment_id=experiment_pk)
    if experiment:
        runs = runs.filter(Q(experiment__name=experiment) | Q(experiment__experiment_id=experiment))
    if status:
        runs = runs.filter(status=status.upper())
    if ticket:
        runs = runs.filter(links__ticket__key=ticket.upper(), links__active=True)
    if q:
        runs = runs.filter(run_filter(q))  # ValidationError on `q` for what the language refuses
    return runs_sorted(runs, sort)


RUN_TABLE_FIELDS = (
    "id",
    "run_id",
    "name",
    "status",
    "start_time",
    "end_time",
    "deleted",
    "lifecycle",
    "metrics",
    "params",
    "project_id",
    "experiment_id",
    "source_id",
)


def runs_table(runs: QuerySet[Run]) -> QuerySet[Run]:
    """The columns a runs table shows, without the experiment's row (not tags, marks,
    artifacts or sync bookkeeping)."""
    return runs.select_related(None).only(*RUN_TABLE_FIELDS)


def runs_sorted(runs: QuerySet[Run], sort: str) -> QuerySet[Run]:
    """`sort`: an attribute, `metrics.KEY` or `params.KEY`, with `-` for descending."""
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field.startswith("metrics.") and len(field) > 8:
        runs = runs.annotate(_sort=Cast(KeyTextTransform(field[8:], "metrics"), FloatField()))
        expr = F("_sort")
    elif field.startswith("params.") and len(field) > 7:
        runs = runs.annotate(_sort=KeyTextTransform(field[7:], "params"))
        expr = F("_sort")
    elif field in SORTABLE_ATTRIBUTES:
        expr = F(field)
    else:
        return runs.order_by(F("start_time").desc(nulls_last=True), "pk")
    return runs.order_by(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True), "pk")


def table_columns(runs: list[Run], *, limit: int = 12) -> dict:
    """Metric and param columns for a page of runs: keys most runs have first."""
    metric_counts, param_counts = defaultdict(int), defaultdict(int)
    for run in runs:
        for key in run.metrics:
            metric_counts[key] += 1
        for key in run.params:
            param_counts[key] += 1
    by_count = lambda counts: sorted(counts, key=lambda k: (-counts[k], k))[:limit]  # noqa: E731
    return {"metrics": by_count(metric_counts), "params": by_count(param_counts)}


COLUMN_KEYS_SAMPLE = 500


def run_table_preference(*, user, project: Project) -> RunTablePreference | None:
    """The columns `user` chose for the runs tables of `project`, if any. One query."""
    if not getattr(user, "is_authenticated", False):
        return None
    return RunTablePreference.objects.filter(user=user, project=project).first()


def run_table_columns(runs: list[Run], *, preference: RunTablePreference | None) -> dict:
    """The metric and param columns of a runs table: the user's choice, else the keys most runs have."""
    if preference is None:
        return table_columns(runs)
    return {"metrics": list(preference.metrics), "params": list(preference.params), "chosen": True}


def experiment_column_keys(*, experiment: Experiment, extra: dict | None = None) -> dict:
    """Every metric and param key of the experiment's latest runs (what the column chooser
    offers), plus the keys already chosen. One query, at most COLUMN_KEYS_SAMPLE runs read;
    none while kept (until the project's next change: a sync that wrote runs announces it)."""
    project_id = experiment.source.project_id
    metric_keys, param_keys = live.kept_until_changed(
        f"run-columns:{experiment.pk}", [project_id], lambda ids: {project_id: _sampled_keys(experiment)}
    )[project_id]
    metric_keys, param_keys = set(metric_keys), set(param_keys)
    for key in (extra or {}).get("metrics", []):
        metric_keys.add(key)
    for key in (extra or {}).get("params", []):
        param_keys.add(key)
    return {"metrics": sorted(metric_keys), "params": sorted(param_keys)}


def _sampled_keys(experiment: Experiment) -> tuple[set, set]:
    metric_keys, param_keys = set(), set()
    sample = Run.objects.filter(experiment=experiment).order_by("-start_time", "-id")[:COLUMN_KEYS_SAMPLE]
    if connection.vendor == "postgresql":
        # PostgreSQL lists the distinct keys: a few short rows instead of 500 runs' JSON.
        sql, params = sample.values("metrics", "params").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH sample AS ({sql}) "
                "SELECT 'm', jsonb_object_keys(metrics) FROM sample WHERE jsonb_typeof(metrics) = 'object' "
                "UNION SELECT 'p', jsonb_object_keys(params) FROM sample WHERE jsonb_typeof(params) = 'object'",
                params,
            )
            for kind, key in cursor.fetchall():
                (metric_keys if kind == "m" else param_keys).add(key)
    else:
        for metrics, params in sample.values_list("metrics", "params"):
            metric_keys.update(metrics or {})
            param_keys.update(params or {})
    return metric_keys, param_keys


def run_for_user(*, user, run_id: str) -> Run | None:
    return (
        scope(Run.objects.select_related("experiment", "source", "project"), user)
        .filter(run_id=run_id)
        .order_by("deleted", "-pk")
        .first()
    )


def run_tickets(runs) -> dict[int, list[Ticket]]:
    """Active linked tickets of each run, one query."""
    tickets = defaultdict(list)
    for link in (
        RunLink.objects.filter(run__in=[r.pk for r in runs], active=True)
        .select_related("ticket__status")
        .order_by("ticket__number")
    ):
        tickets[link.run_id].append(link.ticket)
    return tickets


def run_model_versions(run: Run) -> list[ModelVersion]:
    return list(ModelVersion.objects.filter(source_id=run.source_id, run_id=run.run_id).order_by("name", "version"))


def metric_history(*, run: Run, key: str) -> list[dict]:
    return [
        {"step": step, "value": math.nan if is_nan else value, "timestamp": timestamp}
        for step, value, is_nan, timestamp in MetricPoint.objects.filter(run=run, key=key)
        .order_by("step", "timestamp", "pk")
        .values_list("step", "value", "is_nan", "timestamp")
    ]


def histories_for_charts(run_pks: list[int], keys: list[str] | None = None) -> dict:
    """{key: {run_pk: [[step, value], ...]}} for charts, thinned to MAX_CHART_POINTS a
    series; non-finite values become null (a gap in the line)."""
    points = MetricPoint.objects.filter(run_id__in=run_pks)
    if keys:
        points = points.filter(key__in=keys)
    series: dict = defaultdict(lambda: defaultdict(list))
    for run_pk, key, step, value, is_nan in points.order_by("key", "run_id", "step", "timestamp").values_list(
        "run_id", "key", "step", "value", "is_nan"
    ):
        series[key][run_pk].append([step, value if not is_nan and math.isfinite(value) else None])
    thinned = {}
    for key, by_run in series.items():
        thinned[key] = {}
        for run_pk, values in by_run.items():
            stride = max(1, math.ceil(len(values) / MAX_CHART_POINTS))
            sample = values[::stride]
            if sample and sample[-1] is not values[-1]:
                sample.append(values[-1])
            thinned[key][run_pk] = sample
    return thinned


def runs_for_compare(*, project: Project, run_ids: list[str]) -> list[Run]:
    run_ids = list(dict.fromkeys(run_ids))[:MAX_COMPARE]
    runs = {run.run_id: run for run in run_queryset(project=project).filter(run_id__in=run_ids)}
    return [runs[run_id] for run_id in run_ids if run_id in runs]


def compare_table(runs: list[Run]) -> dict:
    """Rows of params and metrics across runs, each flagged when the runs differ."""

    def rows(attr):
        keys = sorted({key for run in runs for key in getattr(run, attr)})
        out = []
        for key in keys:
            values = [getattr(run, attr).get(key) for run in runs]
            out.append({"key": key, "values": values, "differs": len({repr(v) for v in values}) > 1})
        return out

    return {"params": rows("params"), "metrics": rows("metrics")}


# --- a ticket's runs ---------------------------------------------------------------------


def ticket_runs(*, ticket: Ticket) -> list[Run]:
    return list(
        Run.objects.filter(links__ticket=ticket, links__active=True)
        .select_related("experiment")
        .order_by(F("start_time").desc(nulls_last=True), "pk")
    )


def compute_actuals(runs: list[Run]) -> float:
    return sum(run.duration_seconds or 0.0 for run in runs if not run.deleted)


def regressions_for_runs(run_pks) -> dict[int, list[RegressionFlag]]:
    flags = defaultdict(list)
    for flag in RegressionFlag.objects.filter(run_id__in=list(run_pks)):
        flags[flag.run_id].append(flag)
    return flags


def headline_metrics(runs: list[Run], gates: list[dict], limit: int = 3) -> list[str]:
    """The metric keys a ticket panel shows: gated metrics first, then the most common."""
    keys = list(dict.fromkeys(g["metric"] for g in gates))
    counts = defaultdict(int)
    for run in runs:
        for key in run.metrics:
            counts[key] += 1
    for key in sorted(counts, key=lambda k: (-counts[k], k)):
        if key not in keys:
            keys.append(key)
    return keys[: max(limit, len({g["metric"] for g in gates}))]


def project_run_stats(*, project: Project) -> dict:
    return Run.objects.filter(project=project, deleted=False).aggregate(runs=Count("pk"), latest=Max("start_time"))

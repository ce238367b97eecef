"""Reads for experiments: each function owns its joins and costs a fixed number of queries
whatever the number of rows."""
import math
from collections import defaultdict

from django.db.models import Count, Exists, F, FloatField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from projects.access import scope
from projects.models import Project, Ticket

from .models import (
    Experiment,
    MetricGate,
    MetricPoint,
    MlflowSource,
    ModelVersion,
    RegressionFlag,
    Run,
    RunLink,
    RunStatus,
    RunTablePreference,
    SyncRecord,
    metric_from_json,
)
from .run_filters import run_filter

SORTABLE_ATTRIBUTES = {"name", "start_time", "end_time", "status", "user_id"}
MAX_COMPARE = 10
MAX_CHART_POINTS = 500


# --- sources ------------------------------------------------------------------------------

def sources_for_project(*, project: Project) -> list[MlflowSource]:
    sources = list(project.mlflow_sources.order_by("pk"))
    last = last_syncs([s.pk for s in sources])
    for source in sources:
        source.last_sync = last.get(source.pk)
    return sources


def last_syncs(source_ids) -> dict[int, SyncRecord]:
    """The latest sync record of each source, in one query."""
    latest = SyncRecord.objects.filter(source=OuterRef("source")).order_by("-created_at", "-id").values("pk")[:1]
    records = SyncRecord.objects.filter(source_id__in=list(source_ids), pk=Subquery(latest))
    return {record.source_id: record for record in records}


def source_syncs(*, source: MlflowSource, limit: int = 10) -> list[SyncRecord]:
    return list(source.syncs.order_by("-created_at", "-id")[:limit])


# --- runs ---------------------------------------------------------------------------------

def experiments_for_project(*, project: Project) -> QuerySet[Experiment]:
    return Experiment.objects.filter(source__project=project).annotate(
        run_count=Count("runs", filter=Q(runs__purged=False))).select_related("source").order_by("name", "pk")


def run_queryset(*, project: Project) -> QuerySet[Run]:
    return Run.objects.filter(project=project).select_related("experiment")


def runs_filtered(*, project: Project, experiment: str = "", experiment_pk: int | None = None, status: str = "",
                  ticket: str = "", q: str = "", include_deleted: bool = False, sort: str = "") -> QuerySet[Run]:
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
    offers), plus the keys already chosen. One query, at most COLUMN_KEYS_SAMPLE runs read."""
    metric_keys, param_keys = set(), set()
    for metrics, params in (Run.objects.filter(experiment=experiment).order_by("-start_time", "-id")
                            .values_list("metrics", "params")[:COLUMN_KEYS_SAMPLE]):
        metric_keys.update(metrics or {})
        param_keys.update(params or {})
    for key in (extra or {}).get("metrics", []):
        metric_keys.add(key)
    for key in (extra or {}).get("params", []):
        param_keys.add(key)
    return {"metrics": sorted(metric_keys), "params": sorted(param_keys)}


def run_for_user(*, user, run_id: str) -> Run | None:
    return scope(Run.objects.select_related("experiment", "source", "project"), user).filter(run_id=run_id).order_by(
        "deleted", "-pk").first()


def run_tickets(runs) -> dict[int, list[Ticket]]:
    """Active linked tickets of each run, one query."""
    tickets = defaultdict(list)
    for link in RunLink.objects.filter(run__in=[r.pk for r in runs], active=True).select_related(
            "ticket__status").order_by("ticket__number"):
        tickets[link.run_id].append(link.ticket)
    return tickets


def run_model_versions(run: Run) -> list[ModelVersion]:
    return list(ModelVersion.objects.filter(source_id=run.source_id, run_id=run.run_id).order_by("name", "version"))


def metric_history(*, run: Run, key: str) -> list[dict]:
    return [{"step": step, "value": math.nan if is_nan else value, "timestamp": timestamp}
            for step, value, is_nan, timestamp in
            MetricPoint.objects.filter(run=run, key=key).order_by("step", "timestamp", "pk")
            .values_list("step", "value", "is_nan", "timestamp")]


def histories_for_charts(run_pks: list[int], keys: list[str] | None = None) -> dict:
    """{key: {run_pk: [[step, value], ...]}} for charts, thinned to MAX_CHART_POINTS a
    series; non-finite values become null (a gap in the line)."""
    points = MetricPoint.objects.filter(run_id__in=run_pks)
    if keys:
        points = points.filter(key__in=keys)
    series: dict = defaultdict(lambda: defaultdict(list))
    for run_pk, key, step, value, is_nan in points.order_by("key", "run_id", "step", "timestamp").values_list(
            "run_id", "key", "step", "value", "is_nan"):
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


# --- tickets: runs, gates, badges ---------------------------------------------------------

def ticket_runs(*, ticket: Ticket) -> list[Run]:
    return list(Run.objects.filter(links__ticket=ticket, links__active=True).select_related("experiment")
                .order_by(F("start_time").desc(nulls_last=True), "pk"))


def compute_actuals(runs: list[Run]) -> float:
    return sum(run.duration_seconds or 0.0 for run in runs if not run.deleted)


def _linked_runs_by_ticket(ticket_ids) -> dict[int, list[dict]]:
    by_ticket = defaultdict(list)
    for row in RunLink.objects.filter(ticket_id__in=list(ticket_ids), active=True, run__deleted=False).values(
            "ticket_id", "run__run_id", "run__name", "run__status", "run__metrics"):
        by_ticket[row["ticket_id"]].append(row)
    return by_ticket


def evaluate_gate(gate: MetricGate, runs: list[dict]) -> dict:
    """pass: a finished run meets the gate; pending: no finished run has the metric yet, or
    one still running might; fail: finished runs have it and none meets it."""
    best = None
    finished_seen = running = False
    for row in runs:
        raw = (row["run__metrics"] or {}).get(gate.metric)
        if raw is None:
            if row["run__status"] in (RunStatus.RUNNING, RunStatus.SCHEDULED):
                running = True
            continue
        value = metric_from_json(raw)
        if math.isnan(value):
            continue
        if row["run__status"] in (RunStatus.RUNNING, RunStatus.SCHEDULED):
            running = True
            continue
        if row["run__status"] != RunStatus.FINISHED:
            continue
        finished_seen = True
        better = best is None or (value > best[0] if gate.higher_is_better else value < best[0])
        if better:
            best = (value, row["run__run_id"], row["run__name"])
    if best and gate.passes(best[0]):
        status = "pass"
    elif running or not finished_seen:
        status = "pending"
    else:
        status = "fail"
    return {"id": gate.pk, "gate": str(gate), "metric": gate.metric, "op": gate.op, "threshold": gate.threshold,
            "status": status, "best_value": best[0] if best else None, "best_run": best[1] if best else None,
            "best_run_name": best[2] if best else None}


def gate_statuses_for_tickets(ticket_ids) -> dict[int, list[dict]]:
    """Every gate of these tickets with its status, in two queries."""
    ticket_ids = list(ticket_ids)
    gates = defaultdict(list)
    for gate in MetricGate.objects.filter(ticket_id__in=ticket_ids).order_by("pk"):
        gates[gate.ticket_id].append(gate)
    if not gates:
        return {}
    runs = _linked_runs_by_ticket(gates.keys())
    return {ticket_id: [evaluate_gate(gate, runs.get(ticket_id, [])) for gate in ticket_gates]
            for ticket_id, ticket_gates in gates.items()}


def ticket_badges(*, project_id: int, sprint_id: int | None = None) -> dict[int, list[dict]]:
    """Board-card badges of a board's tickets (the project's, in `sprint_id` unless None):
    linked run count, gate status, regressions. Two queries in all, each joined to the
    tickets by project and sprint, never given a list of ticket ids: their cost follows the
    gates and links found, not the number of cards (gates; linked runs with a regression flag)."""
    on_board = Q(ticket__project_id=project_id)
    if sprint_id is not None:
        on_board &= Q(ticket__sprint_id=sprint_id)
    gates = defaultdict(list)
    for gate in MetricGate.objects.filter(on_board).order_by("pk"):
        gates[gate.ticket_id].append(gate)
    fields = ["ticket_id", "run__run_id", "run__name", "run__status", "regressed"]
    if gates:
        fields.append("run__metrics")  # only read when some gate needs the values
    links = defaultdict(list)
    for row in RunLink.objects.filter(on_board, active=True, run__deleted=False).annotate(
            regressed=Exists(RegressionFlag.objects.filter(run=OuterRef("run")))).values(*fields):
        links[row["ticket_id"]].append(row)
    badges: dict[int, list[dict]] = {}
    for ticket_id in sorted(gates.keys() | links.keys()):
        items = []
        rows = links.get(ticket_id, [])
        if rows:
            n = len(rows)
            items.append({"label": f"{n} run{'s' if n != 1 else ''}", "title": f"{n} linked MLflow runs",
                          "state": "ok"})
        if gates.get(ticket_id):
            statuses = [evaluate_gate(gate, rows) for gate in gates[ticket_id]]
            states = {g["status"] for g in statuses}
            state = "fail" if "fail" in states else "pending" if "pending" in states else "ok"
            passed = sum(1 for g in statuses if g["status"] == "pass")
            items.append({"label": f"gates {passed}/{len(statuses)}",
                          "title": "; ".join(f"{g['gate']}: {g['status']}" for g in statuses), "state": state})
        if any(row["regressed"] for row in rows):
            items.append({"label": "regression", "title": "A linked run fell below the champion", "state": "fail"})
        if items:
            badges[ticket_id] = items
    return badges


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
    return keys[: max(limit, len({g['metric'] for g in gates}))]


def project_run_stats(*, project: Project) -> dict:
    return Run.objects.filter(project=project, deleted=False).aggregate(runs=Count("pk"), latest=Max("start_time"))

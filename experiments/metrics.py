"""What `/metrics` tells operators about MLflow syncs and synced model metrics.

Everything is read from the database at scrape time, so what the Celery workers did
reaches every web process without a shared multiprocess folder, and a scrape costs three
queries whatever the number of sources, syncs or runs. Registered into
`aihub.observability` by `ExperimentsConfig.ready()`."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from .models import Experiment, MlflowSource, Run, RunStatus, SyncRecord, metric_from_json

logger = logging.getLogger(__name__)

SYNC_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
FINISHED_SYNC = (SyncRecord.Status.OK, SyncRecord.Status.ERROR, SyncRecord.Status.SKIPPED)
SOURCE_LABELS = ["project", "source_id", "source"]


def sync_totals() -> list[dict]:
    """One row per (kind, status) of every finished sync: how many, what they imported and
    how long they took (cumulative counts per duration bucket). One query."""
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    timed = Q(started_at__isnull=False, finished_at__isnull=False)
    buckets = {
        f"le_{i}": Count("id", filter=timed & Q(duration__lte=timedelta(seconds=bound)))
        for i, bound in enumerate(SYNC_DURATION_BUCKETS)
    }
    return list(
        SyncRecord.objects.filter(status__in=FINISHED_SYNC)
        .annotate(duration=duration)
        .values("kind", "status")
        .annotate(
            count=Count("id"),
            runs_created=Sum("runs_created"),
            runs_updated=Sum("runs_updated"),
            points=Sum("points_written"),
            timed=Count("id", filter=timed),
            duration_sum=Sum("duration", filter=timed),
            **buckets,
        )
        .order_by("kind", "status")
    )


def source_sync_states() -> list[dict]:
    """Each enabled source with the end of its last successful sync and the outcome of its
    last finished one. One query."""
    syncs = SyncRecord.objects.filter(source=OuterRef("pk"))
    last_ok = syncs.filter(status=SyncRecord.Status.OK).order_by(F("finished_at").desc(nulls_last=True), "-id")
    last_finished = syncs.filter(status__in=[SyncRecord.Status.OK, SyncRecord.Status.ERROR]).order_by(
        "-created_at", "-id"
    )
    return list(
        MlflowSource.objects.filter(enabled=True)
        .annotate(
            last_ok_at=Subquery(last_ok.values("finished_at")[:1]),
            last_status=Subquery(last_finished.values("status")[:1]),
        )
        .values("id", "name", "project__key", "fast_interval_seconds", "last_ok_at", "last_status")
        .order_by("id")
    )


def latest_run_metrics(keys: list[str]) -> list[dict]:
    """For each active experiment of an enabled source, the value of each exported metric key
    in its newest finished run that logged it. One query (a subquery per key, and the keys
    come from a setting, so their number is fixed)."""
    if not keys:
        return []
    subqueries = {}
    for i, key in enumerate(keys):
        newest = Run.objects.filter(
            experiment=OuterRef("pk"),
            status=RunStatus.FINISHED,
            deleted=False,
            metrics__has_key=key,
        ).order_by(F("end_time").desc(nulls_last=True), "-id")
        subqueries[f"metric_{i}"] = Subquery(newest.values("metrics")[:1])
    rows = (
        Experiment.objects.filter(source__enabled=True, lifecycle_stage="active")
        .annotate(**subqueries)
        .values("name", "source_id", "source__project__key", *subqueries)
        .order_by("source__project__key", "source_id", "name")
    )
    found = []
    for row in rows:
        for i, key in enumerate(keys):
            metrics = row[f"metric_{i}"]
            if isinstance(metrics, dict) and key in metrics:
                found.append(
                    {
                        "project": row["source__project__key"],
                        "source_id": row["source_id"],
                        "experiment": row["name"],
                        "metric": key,
                        "value": metric_from_json(metrics[key]),
                    }
                )
    return found


def _source_labels(row: dict) -> list[str]:
    return [row["project__key"], str(row["id"]), row["name"] or f"source-{row['id']}"]


class ExperimentsCollector:
    """A prometheus_client collector: yields metric families computed from the database."""

    def collect(self):
        try:
            totals = sync_totals()
            sources = source_sync_states()
            run_metrics = latest_run_metrics(list(settings.AIHUB_METRICS_EXPORTED_KEYS))
        except DatabaseError as error:  # a scrape while the database is away still shows the HTTP metrics
            logger.warning("metrics: experiments skipped, the database did not answer: %s", error)
            return
        yield from self._sync_families(totals)
        yield from self._source_families(sources)
        latest = GaugeMetricFamily(
            "aihub_run_metric_latest",
            "Value of a metric (AIHUB_METRICS_EXPORTED_KEYS) in the newest finished run of an experiment",
            labels=["project", "source_id", "experiment", "metric"],
        )
        for row in run_metrics:
            latest.add_metric([row["project"], str(row["source_id"]), row["experiment"], row["metric"]], row["value"])
        yield latest

    def _sync_families(self, totals):
        outcomes = CounterMetricFamily(
            "aihub_sync_runs", "MLflow syncs finished, by kind and outcome", labels=["kind", "outcome"]
        )
        runs = CounterMetricFamily(
            "aihub_sync_runs_imported", "MLflow runs created or updated by syncs", labels=["kind"]
        )
        points = CounterMetricFamily(
            "aihub_sync_points_imported", "Metric history points written by syncs", labels=["kind"]
        )
        durations = HistogramMetricFamily(
            "aihub_sync_duration_seconds", "Time a sync took from start to finish", labels=["kind"]
        )
        per_kind: dict[str, dict] = {}
        for row in totals:
            outcomes.add_metric([row["kind"], row["status"]], row["count"])
            kind = per_kind.setdefault(
                row["kind"],
                {"runs": 0, "points": 0, "timed": 0, "sum": 0.0, "buckets": [0] * len(SYNC_DURATION_BUCKETS)},
            )
            kind["runs"] += (row["runs_created"] or 0) + (row["runs_updated"] or 0)
            kind["points"] += row["points"] or 0
            kind["timed"] += row["timed"]
            kind["sum"] += row["duration_sum"].total_seconds() if row["duration_sum"] else 0.0
            for i in range(len(SYNC_DURATION_BUCKETS)):
                kind["buckets"][i] += row[f"le_{i}"]
        for name, kind in per_kind.items():
            runs.add_metric([name], kind["runs"])
            points.add_metric([name], kind["points"])
            buckets = [
                (str(float(bound)), count) for bound, count in zip(SYNC_DURATION_BUCKETS, kind["buckets"], strict=False)
            ]
            durations.add_metric([name], [*buckets, ("+Inf", kind["timed"])], sum_value=kind["sum"])
        yield from (outcomes, runs, points, durations)

    def _source_families(self, sources):
        last_ok = GaugeMetricFamily(
            "aihub_sync_last_success_timestamp_seconds",
            "End of the last successful sync of an enabled source (Unix time)",
            labels=SOURCE_LABELS,
        )
        failing = GaugeMetricFamily(
            "aihub_sync_source_failing",
            "1 when the last finished sync of an enabled source failed",
            labels=SOURCE_LABELS,
        )
        interval = GaugeMetricFamily(
            "aihub_sync_interval_seconds", "Fast-loop interval of an enabled source", labels=SOURCE_LABELS
        )
        for row in sources:
            labels = _source_labels(row)
            if row["last_ok_at"] is not None:
                last_ok.add_metric(labels, row["last_ok_at"].timestamp())
            failing.add_metric(labels, 1.0 if row["last_status"] == SyncRecord.Status.ERROR else 0.0)
            interval.add_metric(labels, row["fast_interval_seconds"])
        yield from (last_ok, failing, interval)

"""Turning pages of MLflow runs into rows: normalize, fingerprint, diff against what is
stored, read only the histories that changed (in bulk), and write a page in one
transaction, so a failure never leaves a run half-written."""

import hashlib
import json
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from projects import live
from projects.models import Ticket

from ..models import Experiment, MetricPoint, MlflowSource, Run, RunLink, SyncRecord, metric_from_json
from .client import HISTORY_BULK_MAX_POINTS, HISTORY_BULK_MAX_RUNS
from .writer import insert_points, upsert_runs

logger = logging.getLogger(__name__)

TICKET_TAG = "aihub.ticket"
MAX_WARNINGS = 50


@dataclass
class NormalRun:
    run_id: str
    experiment_id: str
    name: str
    user_id: str
    status: str
    start_ms: int | None
    end_ms: int | None
    artifact_uri: str
    lifecycle: str
    params: dict
    tags: dict
    metrics: dict
    marks: dict
    rejected: dict
    fingerprint: str


@dataclass
class PreparedPage:
    run_ids: list
    changed: list
    stored: dict
    histories: dict
    result: "PageResult"


@dataclass
class PageResult:
    seen: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    history_requests: int = 0
    points: int = 0
    warnings: list = field(default_factory=list)
    changed_pks: list = field(default_factory=list)


def _storable(text: str) -> str | None:
    """Why a string cannot be stored as it is (PostgreSQL refuses NUL and lone surrogates)."""
    if "\x00" in text:
        return "contains a NUL character, which the database cannot store"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def _clean_pairs(items, kind: str, run_id: str, rejected: dict) -> dict:
    clean = {}
    for item in items:
        key, value = item.get("key", ""), item.get("value", "")
        problem = _storable(key) or _storable(value)
        if problem:
            rejected[f"{kind}:{key.encode('unicode_escape').decode()}"] = f"{kind} {problem}"
            logger.warning("run %s: %s %r rejected: %s", run_id, kind, key, problem)
            continue
        clean[key] = value
    return clean


def normalize(raw: dict) -> NormalRun:
    info, data = raw["info"], raw.get("data") or {}
    run_id = info.get("run_id") or info["run_uuid"]
    rejected: dict = {}
    params = _clean_pairs(data.get("params", ()), "param", run_id, rejected)
    tags = _clean_pairs(data.get("tags", ()), "tag", run_id, rejected)
    metrics, marks = {}, {}
    for metric in data.get("metrics", ()):
        key = metric["key"]
        problem = _storable(key)
        if problem:
            rejected[f"metric:{key.encode('unicode_escape').decode()}"] = f"metric name {problem}"
            logger.warning("run %s: metric %r rejected: %s", run_id, key, problem)
            continue
        value = metric.get("value", 0.0)
        value = value if isinstance(value, str) else _json_number(value)
        metrics[key] = value
        marks[key] = f"{metric.get('step', 0)}:{metric.get('timestamp', 0)}:{value}"
    name = info.get("run_name") or tags.get("mlflow.runName", "")
    start, end = info.get("start_time"), info.get("end_time")
    normal = NormalRun(
        run_id=run_id,
        experiment_id=str(info["experiment_id"]),
        name=name[:500],
        user_id=info.get("user_id", ""),
        status=info.get("status", "RUNNING"),
        start_ms=int(start) if start is not None else None,
        end_ms=int(end) if end is not None else None,
        artifact_uri=info.get("artifact_uri", ""),
        lifecycle=info.get("lifecycle_stage", "active"),
        params=params,
        tags=tags,
        metrics=metrics,
        marks=marks,
        rejected=rejected,
        fingerprint="",
    )
    basis = [
        normal.experiment_id,
        normal.name,
        normal.user_id,
        normal.status,
        normal.start_ms,
        normal.end_ms,
        normal.artifact_uri,
        normal.lifecycle,
        params,
        tags,
        marks,
    ]
    normal.fingerprint = hashlib.blake2b(
        json.dumps(basis, sort_keys=True).encode("utf-8", "surrogatepass"), digest_size=16
    ).hexdigest()
    return normal


def _json_number(value: float):
    """Latest values as JSON can store them: non-finite floats as MLflow's REST strings."""
    value = float(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def ticket_keys_from_tag(value: str) -> list[str]:
    return sorted({part.strip().upper() for part in (value or "").split(",") if part.strip()})


class PageImporter:
    """Imports pages of one source within one sync. Holds only per-sync constants."""

    def __init__(
        self,
        *,
        source: MlflowSource,
        client,
        experiments: dict[str, Experiment],
        record: SyncRecord,
        reconcile_mark: int | None = None,
    ):
        self.source = source
        self.client = client
        self.experiments = experiments
        self.record = record
        self.reconcile_mark = reconcile_mark
        self.experiment_pks = {experiment_id: experiment.pk for experiment_id, experiment in experiments.items()}

    def import_page(self, raw_runs: list[dict]) -> PageResult:
        return self.write(self.prepare(raw_runs))

    def prepare(self, raw_runs: list[dict]) -> "PreparedPage":
        """Everything a page needs before writing: normalized runs, what is stored, which
        changed, and the changed histories read from the server. Reads only, so a sync can
        prepare the next page on a thread while it writes this one."""
        result = PageResult()
        normals = {}
        for raw in raw_runs:
            normal = normalize(raw)
            if normal.experiment_id in self.experiments:
                normals[normal.run_id] = normal
        result.seen = len(normals)
        stored = {
            run_id: (pk, fingerprint, marks, deleted, purged)
            for run_id, pk, fingerprint, marks, deleted, purged in Run.objects.filter(
                source=self.source, run_id__in=list(normals)
            ).values_list("run_id", "pk", "fingerprint", "metric_marks", "deleted", "purged")
        }
        changed = [
            n
            for n in normals.values()
            if n.run_id not in stored or stored[n.run_id][1] != n.fingerprint or stored[n.run_id][4]
        ]
        # Which histories to read: every metric of a new run, the changed metrics of others.
        wanted: dict[str, list[NormalRun]] = defaultdict(list)
        for normal in changed:
            old_marks = stored[normal.run_id][2] if normal.run_id in stored else {}
            for key, mark in normal.marks.items():
                if old_marks.get(key) != mark:
                    wanted[key].append(normal)
        histories = self._read_histories(wanted, result)  # network: never inside the transaction
        for normal in changed:
            for problem in normal.rejected.values():
                result.warnings.append(f"run {normal.run_id}: {problem}")
        return PreparedPage(run_ids=list(normals), changed=changed, stored=stored, histories=histories, result=result)

    def write(self, page: "PreparedPage") -> PageResult:
        """Write one prepared page in one transaction: a failure leaves no run half-written."""
        result = page.result
        with transaction.atomic():
            self._write(page.changed, page.stored, page.histories, result)
            if self.reconcile_mark is not None:  # the changed runs were marked as they were written
                written = {normal.run_id for normal in page.changed}
                unchanged = [run_id for run_id in page.run_ids if run_id not in written]
                if unchanged:
                    Run.objects.filter(source=self.source, run_id__in=unchanged).update(
                        seen_by_sync=self.reconcile_mark
                    )
            SyncRecord.objects.filter(pk=self.record.pk).update(
                pages=F("pages") + 1,
                runs_seen=F("runs_seen") + result.seen,
                runs_created=F("runs_created") + result.created,
                runs_updated=F("runs_updated") + result.updated,
                runs_deleted=F("runs_deleted") + result.deleted,
                history_requests=F("history_requests") + result.history_requests,
                points_written=F("points_written") + result.points,
            )
            if page.changed:  # run and gate badges on boards and ticket pages: one announcement a page
                live.announce(project_id=self.source.project_id, kind="runs.synced")
        return result

    # -- histories -------------------------------------------------------------------------
    def _read_histories(self, wanted: dict[str, list[NormalRun]], result: PageResult) -> dict:
        """{(run_id, key): [points]} for every wanted pair, read in bulk: batches of up to
        100 runs whose estimated points stay under the endpoint's cap, a few requests in
        flight at once; a batch that comes back full is split, and a single run over the
        cap is read page by page."""
        jobs, sizes = [], {}
        for key, runs in wanted.items():
            batch, estimate = [], 0
            for normal in runs:
                step = int(normal.marks[key].split(":", 1)[0] or 0)
                size = sizes[(normal.run_id, key)] = max(step + 1, 1)
                if batch and (len(batch) >= HISTORY_BULK_MAX_RUNS or estimate + size > HISTORY_BULK_MAX_POINTS // 2):
                    jobs.append((key, batch))
                    batch, estimate = [], 0
                batch.append(normal.run_id)
                estimate += size
            if batch:
                jobs.append((key, batch))

        def fetch(job) -> tuple[int, list[tuple[str, list[str], list[dict]]]]:
            key, run_ids = job
            if len(run_ids) == 1 and sizes[(run_ids[0], key)] > HISTORY_BULK_MAX_POINTS:
                return 1, [(key, run_ids, self.client.metric_history(run_ids[0], key))]
            points = self.client.metric_history_bulk(run_ids, key)
            if len(points) < HISTORY_BULK_MAX_POINTS:
                return 1, [(key, run_ids, points)]
            if len(run_ids) == 1:  # truncated: read this run's history page by page
                return 2, [(key, run_ids, self.client.metric_history(run_ids[0], key))]
            middle = len(run_ids) // 2
            count_a, parts_a = fetch((key, run_ids[:middle]))
            count_b, parts_b = fetch((key, run_ids[middle:]))
            return 1 + count_a + count_b, parts_a + parts_b

        histories: dict = {}
        workers = getattr(self.client, "parallel_requests", 1)
        if workers > 1 and len(jobs) > 1:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlflow-history") as pool:
                answers = list(pool.map(fetch, jobs))
        else:
            answers = [fetch(job) for job in jobs]
        for requests_made, parts in answers:
            result.history_requests += requests_made
            for key, run_ids, points in parts:
                for run_id in run_ids:
                    histories[(run_id, key)] = []
                for point in points:
                    histories.setdefault((point["run_id"], key), []).append(point)
        return histories

    # -- writes --------------------------------------------------------------------------
    def _write(self, changed: list[NormalRun], stored: dict, histories: dict, result: PageResult) -> None:
        if not changed:
            return
        for normal in changed:
            if normal.run_id in stored:
                result.updated += 1
                if normal.lifecycle == "deleted" and not stored[normal.run_id][3]:
                    result.deleted += 1
            else:
                result.created += 1
        pks = upsert_runs(
            project_id=self.source.project_id,
            source_id=self.source.pk,
            experiment_pks=self.experiment_pks,
            runs=changed,
            mark=self.reconcile_mark,
        )
        result.changed_pks = list(pks.values())
        # Replace each changed history whole: one DELETE per metric key, one bulk INSERT.
        by_key: dict[str, list[int]] = defaultdict(list)
        for run_id, key in histories:
            if run_id in stored:  # a new run has no points to replace
                by_key[key].append(pks[run_id])
        for key, run_pks in by_key.items():
            MetricPoint.objects.filter(run_id__in=run_pks, key=key).delete()
        rows = []
        for (run_id, key), history in histories.items():
            run_pk = pks[run_id]
            for point in history:
                value = metric_from_json(point.get("value", 0.0))
                nan = value != value
                rows.append(
                    (run_pk, key, int(point.get("step", 0)), 0.0 if nan else value, nan, int(point.get("timestamp", 0)))
                )
        insert_points(rows)
        result.points += len(rows)
        self._link_tickets(changed, pks)

    def _link_tickets(self, changed: list[NormalRun], pks: dict) -> None:
        """Make the tag-made links of the changed runs match their `aihub.ticket` tags."""
        wanted = {pks[n.run_id]: ticket_keys_from_tag(n.tags.get(TICKET_TAG, "")) for n in changed}
        all_keys = {key for keys in wanted.values() for key in keys}
        tickets = (
            dict(Ticket.objects.filter(project_id=self.source.project_id, key__in=all_keys).values_list("key", "pk"))
            if all_keys
            else {}
        )
        existing = {
            (run_pk, ticket_pk): (link_pk, origin)
            for link_pk, run_pk, ticket_pk, origin in RunLink.objects.filter(run_id__in=list(wanted)).values_list(
                "pk", "run_id", "ticket_id", "origin"
            )
        }
        to_create, stale = [], []
        wanted_pairs = {(run_pk, tickets[key]) for run_pk, keys in wanted.items() for key in keys if key in tickets}
        for pair in wanted_pairs:
            if pair not in existing:
                to_create.append(RunLink(run_id=pair[0], ticket_id=pair[1], origin=RunLink.Origin.TAG))
        for pair, (link_pk, origin) in existing.items():
            if origin == RunLink.Origin.TAG and pair not in wanted_pairs:
                stale.append(link_pk)
        if to_create:
            RunLink.objects.bulk_create(to_create, ignore_conflicts=True)
        if stale:
            RunLink.objects.filter(pk__in=stale).delete()

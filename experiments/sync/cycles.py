"""The two tiers of a source's sync.

- Fast loop (every few minutes): runs whose start or end time is at or after the last
  cycle's start minus an overlap, runs still RUNNING, the DELETED_ONLY set, and the stored
  running and deleted runs re-read by `run_id IN (...)` (which catches RUNNING -> FAILED
  without an end time, restores, and purges). MLflow keeps no update time on a run, so a
  late metric or tag on a finished run, or a backdated run, is invisible here.
- Full reconcile (hourly and on demand): every run of the followed experiments, paged with
  run_view_type=ALL ordered by start_time ASC (stable under concurrent deletes), diffed by
  fingerprint; stored runs the scan did not see were purged.

Both write only runs whose fingerprint changed and read only the histories that changed.
"""

import itertools
import logging
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django.db.models import F, Q

from projects import live

from ..models import Experiment, Lifecycle, MlflowSource, ModelVersion, Run, RunStatus, SyncRecord
from .client import MlflowError, MlflowUnreachable
from .importer import MAX_WARNINGS, PageImporter, PageResult
from .watermark import Heartbeat, fast_window_start

logger = logging.getLogger(__name__)

IN_CHUNK = 100  # run ids per `run_id IN (...)` filter


def page_size() -> int:
    """Runs per `runs/search` page: settings.AIHUB_SYNC_PAGE_SIZE, within MLflow's 1..1000."""
    return min(max(int(settings.AIHUB_SYNC_PAGE_SIZE), 1), 1000)


class SyncOutcome:
    def __init__(self):
        self.warnings: list[str] = []

    def add(self, result: PageResult):
        self.warnings.extend(result.warnings[: MAX_WARNINGS - len(self.warnings)])


def resolve_experiments(source: MlflowSource, client, warnings: list) -> dict[str, Experiment]:
    """The followed experiments by MLflow id, stored or refreshed."""
    found = {}
    for name in source.experiment_names:
        payload = client.experiment_by_name(name)
        if payload is None:
            warnings.append(f"experiment {name!r} does not exist on the server")
            continue
        experiment, _ = Experiment.objects.update_or_create(
            source=source,
            experiment_id=str(payload["experiment_id"]),
            defaults={
                "name": payload.get("name", name),
                "lifecycle_stage": payload.get("lifecycle_stage", "active"),
                "artifact_location": payload.get("artifact_location", ""),
            },
        )
        found[experiment.experiment_id] = experiment
    return found


def prefetched(pages: Iterator[list[dict]], prepare=None, depth: int = 2) -> Iterator:
    """Read (and `prepare`: diff and read histories) the next pages on a thread while the
    caller writes this one, so the server is never idle waiting for our database. At most
    `depth` prepared pages wait in memory."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    done, stop = object(), threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def reader():
        try:
            for page in pages:
                if not put(prepare(page) if prepare else page):
                    return
            put(done)
        except BaseException as error:  # handed to the consumer, raised there
            put(error)
        finally:
            connection.close()  # this thread's own database connection (prepare reads)

    thread = threading.Thread(target=reader, daemon=True, name="mlflow-page-reader")
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _import_pages(importer: PageImporter, pages, outcome: SyncOutcome, lease: Heartbeat) -> None:
    for page in pages:
        result = importer.import_page(page)
        outcome.add(result)
        lease.check()


def full_reconcile(*, source: MlflowSource, client, record: SyncRecord, lease: Heartbeat) -> SyncOutcome:
    outcome = SyncOutcome()
    experiments = resolve_experiments(source, client, outcome.warnings)
    if experiments:
        importer = PageImporter(
            source=source, client=client, experiments=experiments, record=record, reconcile_mark=record.pk
        )
        pages = client.search_runs(
            list(experiments), run_view_type="ALL", order_by=("attributes.start_time ASC",), page_size=page_size()
        )
        for prepared in prefetched(pages, importer.prepare):
            outcome.add(importer.write(prepared))
            lease.check()
    # The scan saw every run the server still has: the rest were purged (`mlflow gc`).
    purged = (
        Run.objects.filter(source=source, experiment__experiment_id__in=list(experiments), purged=False)
        .exclude(seen_by_sync=record.pk)
        .update(purged=True, deleted=True, lifecycle=Lifecycle.PURGED)
    )
    if purged:
        SyncRecord.objects.filter(pk=record.pk).update(runs_purged=purged)
        live.announce(project_id=source.project_id, kind="runs.purged")
    write_model_versions(source=source, registry=read_model_registry(client))
    return outcome


def fast_cycle(*, source: MlflowSource, client, record: SyncRecord, lease: Heartbeat) -> SyncOutcome:
    outcome = SyncOutcome()
    experiments = resolve_experiments(source, client, outcome.warnings)
    if not experiments:
        return outcome
    ids = list(experiments)
    importer = PageImporter(source=source, client=client, experiments=experiments, record=record)
    since = fast_window_start(source)
    searches = [
        client.search_runs(ids, filter_string=filter_string, run_view_type=view, page_size=page_size())
        for filter_string, view in (
            (f"attributes.start_time >= {since}", "ALL"),
            (f"attributes.end_time >= {since}", "ALL"),
            ("attributes.status = 'RUNNING'", "ALL"),
            ("", "DELETED_ONLY"),
        )
    ]
    # The first page of each query and the model registry are read at once (small, independent
    # reads); further pages, if any, one after the other.
    if getattr(client, "parallel_requests", 1) > 1:
        with ThreadPoolExecutor(max_workers=len(searches) + 1, thread_name_prefix="mlflow-fast") as pool:
            registry_future = pool.submit(read_model_registry, client)
            firsts = list(pool.map(lambda pages: next(pages, None), searches))
        registry = registry_future.result()
    else:
        firsts = [next(pages, None) for pages in searches]
        registry = read_model_registry(client)
    for first, rest in zip(firsts, searches, strict=True):
        _import_pages(importer, itertools.chain([first] if first is not None else [], rest), outcome, lease)
    chunk: list[str] = []
    for run_id in watched_run_ids(source=source, experiment_ids=ids).iterator(chunk_size=1000):
        chunk.append(run_id)
        if len(chunk) == IN_CHUNK:
            _refetch(importer, client, ids, chunk, source, record, outcome, lease)
            chunk = []
    if chunk:
        _refetch(importer, client, ids, chunk, source, record, outcome, lease)
    write_model_versions(source=source, registry=registry)
    return outcome


def watched_run_ids(*, source: MlflowSource, experiment_ids: list[str]):
    """Stored runs that may have changed without a new start or end time: still running
    (killed or failed without an end time), or deleted (restored, or purged since). Read
    through the partial index run_fast_loop_watch (the same condition), so a cycle costs the
    same with 30,000 finished runs stored as with none."""
    return (
        Run.objects.filter(source=source, purged=False, experiment__experiment_id__in=experiment_ids)
        .filter(Q(status__in=[RunStatus.RUNNING, RunStatus.SCHEDULED]) | Q(deleted=True))
        .values_list("run_id", flat=True)
        .order_by("pk")
    )


def _refetch(importer, client, experiment_ids, run_ids, source, record, outcome, lease) -> None:
    quoted = ", ".join(f"'{run_id}'" for run_id in run_ids)
    found = set()
    for page in client.search_runs(
        experiment_ids, filter_string=f"attributes.run_id IN ({quoted})", run_view_type="ALL", page_size=page_size()
    ):
        found.update(run["info"].get("run_id") or run["info"]["run_uuid"] for run in page)
        outcome.add(importer.import_page(page))
    missing = [run_id for run_id in run_ids if run_id not in found]
    if missing:  # gone from the server entirely: purged
        purged = Run.objects.filter(source=source, run_id__in=missing, purged=False).update(
            purged=True, deleted=True, lifecycle=Lifecycle.PURGED
        )
        SyncRecord.objects.filter(pk=record.pk).update(runs_purged=F("runs_purged") + purged)
        if purged:
            live.announce(project_id=source.project_id, kind="runs.purged")
    lease.check()


def read_model_registry(client) -> tuple[dict, list[dict]] | None:
    """Aliases by (model, version) and every model version; None without a registry."""
    try:
        aliases: dict[tuple[str, str], list[str]] = {}
        for model in client.registered_models():
            for alias in model.get("aliases", []):
                aliases.setdefault((model["name"], str(alias["version"])), []).append(alias["alias"])
        return aliases, list(client.model_versions())
    except MlflowError as error:
        if isinstance(error, MlflowUnreachable) or error.status not in (404, 501):
            raise
        return None  # a tracking server without a model registry


def write_model_versions(*, source: MlflowSource, registry: tuple[dict, list[dict]] | None) -> None:
    """Registered versions whose source run belongs to this source, with their aliases."""
    if registry is None:
        return
    aliases, versions = registry
    run_ids = set(
        Run.objects.filter(source=source, run_id__in=[v.get("run_id", "") for v in versions]).values_list(
            "run_id", flat=True
        )
    )
    rows = [
        ModelVersion(
            source=source,
            name=v["name"],
            version=str(v["version"]),
            run_id=v.get("run_id", ""),
            stage=v.get("current_stage", ""),
            aliases=sorted(aliases.get((v["name"], str(v["version"])), [])),
            status=v.get("status", ""),
            model_source=v.get("source", ""),
            created_ms=int(v["creation_timestamp"]) if v.get("creation_timestamp") else None,
        )
        for v in versions
        if v.get("run_id") in run_ids
    ]
    if rows:
        ModelVersion.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["source", "name", "version"],
            update_fields=["run_id", "stage", "aliases", "status", "model_source", "created_ms"],
        )
    keep = {(row.name, row.version) for row in rows}
    stale = [
        pk
        for pk, name, version in ModelVersion.objects.filter(source=source).values_list("pk", "name", "version")
        if (name, version) not in keep
    ]
    if stale:
        ModelVersion.objects.filter(pk__in=stale).delete()

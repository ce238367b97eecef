"""Benchmark of the MLflow sync against a real local `mlflow server`.

Logs 2,000 runs (10 params, 5 tags, 5 metrics; 30 of them with 100-step histories), then
measures, in the same run:
  - a first full sync into the configured database (DATABASE_URL),
  - a bare read of the same data by a plain script: every runs/search page over REST parsed
    with json.loads, plus every metric history through the bulk endpoint (the limit),
  - a no-change full reconcile (compared with the bare pages alone),
  - a no-change fast-loop cycle,
and prints the ratios and the memory held while paging (flat = it does not grow with the
number of pages). Usage: DATABASE_URL=postgres://... .venv/bin/python bench/mlflow_sync.py
"""
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
# The benchmark's tracking server listens on loopback, which outbound requests may not reach
# unless allowed.
os.environ.setdefault("AIHUB_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")

N_RUNS = int(os.environ.get("BENCH_RUNS", "2000"))
N_LONG = 30
STEPS = 100
METRICS = ["loss", "val_loss", "accuracy", "val_f1", "auc"]


def log_runs(backend_uri: str, artifacts: str, experiment_id: str) -> None:
    """Write the runs through MLflow's own SQL store into the server's backend database, in
    bulk (log_batch per run, no HTTP): the same rows the client would write, much faster
    than 6,000 HTTP calls against a one-worker server."""
    from mlflow.entities import Metric, Param, RunStatus, RunTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(backend_uri, artifacts)
    base = int(time.time() * 1000) - N_RUNS * 1000
    for i in range(N_RUNS):
        start = base + i * 1000
        run = store.create_run(experiment_id, user_id="bench", start_time=start, tags=[], run_name=f"run-{i:05d}")
        steps = STEPS if i < N_LONG else 1
        metrics = [Metric(key, (k + 1) / (step + 2) + i * 1e-6, start + step, step)
                   for k, key in enumerate(METRICS) for step in range(steps)]
        params = [Param(f"param_{p}", f"{(i * 7 + p) % 97 / 100}") for p in range(10)]
        tags = [RunTag(f"tag_{t}", f"value-{i % (t + 2)}") for t in range(5)]
        for chunk in range(0, len(metrics), 1000):
            store.log_batch(run.info.run_id, metrics=metrics[chunk:chunk + 1000],
                            params=params if chunk == 0 else [], tags=tags if chunk == 0 else [])
        store.update_run_info(run.info.run_id, RunStatus.FINISHED, start + 60_000, None)


def bare_read(url: str, experiment_id: str) -> tuple[float, float, int]:
    """Every runs/search page parsed with json.loads, then every history in bulk."""
    import requests

    session = requests.Session()
    started = time.perf_counter()
    run_ids, token = [], None
    while True:
        body = {"experiment_ids": [experiment_id], "run_view_type": "ALL", "max_results": 1000,
                "order_by": ["attributes.start_time ASC"], **({"page_token": token} if token else {})}
        payload = json.loads(session.post(f"{url}/api/2.0/mlflow/runs/search", data=json.dumps(body),
                                          headers={"Content-Type": "application/json"}).content)
        run_ids.extend(run["info"]["run_id"] for run in payload.get("runs", []))
        token = payload.get("next_page_token")
        if not token:
            break
    pages = time.perf_counter() - started
    points = 0
    for key in METRICS:
        for i in range(0, len(run_ids), 100):
            params = [("run_id", r) for r in run_ids[i:i + 100]] + [("metric_key", key), ("max_results", 25000)]
            points += len(json.loads(session.get(f"{url}/ajax-api/2.0/mlflow/metrics/get-history-bulk",
                                                 params=params).content)["metrics"])
    return pages, time.perf_counter() - started, points


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from experiments.models import MetricPoint, Run, SyncRecord
    from experiments.services import source_create
    from experiments.sync import importer as importer_module
    from experiments.sync.runner import sync_run
    from projects.models import Project
    from tests.experiments.mlflow_server import MlflowServer

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    workdir = Path(tempfile.mkdtemp(prefix="aihub-bench-mlflow-"))
    server = MlflowServer(workdir)
    t = time.perf_counter()
    server.start()
    print(f"mlflow server answered /health after {time.perf_counter() - t:.1f} s")
    try:
        from mlflow import MlflowClient

        experiment_id = MlflowClient(tracking_uri=server.url).create_experiment("bench")
        t = time.perf_counter()
        log_runs(server.backend_uri, str(server.artifacts), experiment_id)
        print(f"setup: logged {N_RUNS} runs ({N_LONG} with {STEPS}-step histories) in "
              f"{time.perf_counter() - t:.1f} s (MLflow's SQL store, log_batch per run)")

        for key in ("BENCH", "BENCHM", "BENCHN"):
            Project.objects.filter(key=key).delete()
        project = Project.objects.create(key="BENCH", name="Sync benchmark")
        source = source_create(project=project, user=None, tracking_uri=server.url, experiment_names=["bench"])

        def sync(kind: str) -> tuple[float, SyncRecord]:
            record = SyncRecord.objects.create(source=source, kind=kind)
            started = time.perf_counter()
            record = sync_run(record_id=record.pk)
            return time.perf_counter() - started, record

        bare_pages, bare_total, points = bare_read(server.url, experiment_id)
        if os.environ.get("BENCH_PROFILE"):  # where the first sync spends its time (main thread)
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        first, record = sync("full")
        if os.environ.get("BENCH_PROFILE"):
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        assert record.status == "ok", record.error
        assert Run.objects.filter(source=source).count() == N_RUNS
        assert MetricPoint.objects.filter(run__source=source).count() == points
        # A second bare read right after, so both sides see a warm server.
        bare_pages2, bare_total2, _ = bare_read(server.url, experiment_id)
        bare_pages, bare_total = min(bare_pages, bare_pages2), min(bare_total, bare_total2)
        reconcile, rec = sync("full")
        assert rec.runs_updated == 0 and rec.points_written == 0 and rec.runs_seen == N_RUNS
        fast, fast_rec = sync("fast")
        assert fast_rec.kind == "fast" and fast_rec.runs_updated == 0

        # Memory: first syncs of the same runs into fresh projects with tracemalloc on,
        # recording the memory held after each page is written (flat = it does not grow
        # with the number of pages) and the peak: once with 1,000-run pages, once with 200.
        from experiments.sync.client import RestClient

        def measured_first_sync(key: str, page_size: int) -> tuple[list[int], int, int]:
            project_m = Project.objects.create(key=key, name=f"Sync benchmark (memory, {page_size})")
            source_m = source_create(project=project_m, user=None, tracking_uri=server.url,
                                     experiment_names=["bench"])
            held = []
            original_write, original_search = importer_module.PageImporter.write, RestClient.search_runs

            def write(self, page):
                result = original_write(self, page)
                held.append(tracemalloc.get_traced_memory()[0])
                return result

            def search_runs(self, *args, **kwargs):
                return original_search(self, *args, **{**kwargs, "page_size": page_size})

            importer_module.PageImporter.write, RestClient.search_runs = write, search_runs
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            try:
                sync_run(record_id=SyncRecord.objects.create(source=source_m, kind="full").pk)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
                importer_module.PageImporter.write, RestClient.search_runs = original_write, original_search
            return held, peak, base

        held_1000, peak_1000, base_1000 = measured_first_sync("BENCHM", 1000)
        held_200, peak_200, base_200 = measured_first_sync("BENCHN", 200)

        print()
        print(f"runs: {N_RUNS}, metric points: {points}, runs/search pages: {record.pages}, "
              f"history requests: {record.history_requests}")
        print(f"bare read (pages + histories):      {bare_total:7.2f} s")
        print(f"bare pages alone:                   {bare_pages:7.2f} s  ({N_RUNS / bare_pages:.0f} runs/s)")
        print(f"first full sync:                    {first:7.2f} s  ratio {first / bare_total:.2f}x the bare read "
              f"(target <= 1.3x)")
        print(f"no-change full reconcile:           {reconcile:7.2f} s  ratio {reconcile / bare_pages:.2f}x the bare "
              f"pages (target <= 1.2x)")
        print(f"no-change fast-loop cycle:          {fast:7.2f} s  (target < 1 s)")
        print(f"memory held after each page, 1,000-run pages (MB): "
              f"{', '.join(f'{(h - base_1000) / 1e6:.1f}' for h in held_1000)}; peak {(peak_1000 - base_1000) / 1e6:.1f} MB")
        print(f"memory held after each page, 200-run pages (MB):   "
              f"{', '.join(f'{(h - base_200) / 1e6:.1f}' for h in held_200)}; peak {(peak_200 - base_200) / 1e6:.1f} MB")
        print("(memory follows the page size, not the number of runs: it does not grow page after page)")
    finally:
        server.stop()
        for key in ("BENCH", "BENCHM", "BENCHN"):
            Project.objects.filter(key=key).delete()


if __name__ == "__main__":
    main()

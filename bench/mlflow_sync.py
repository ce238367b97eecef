"""Benchmark of the MLflow sync against a real local `mlflow server`.

Logs N runs (--runs, default 30,000; 10 params, 5 tags, 5 metrics; 30 of them with 100-step
histories) into the server's backend store in bulk, then measures, in the same run:
  - a first full sync into the configured database (DATABASE_URL),
  - a bare read of the same data by a plain script: every runs/search page over REST parsed
    with json.loads, plus every metric history through the bulk endpoint (the limit),
  - a no-change full reconcile (compared with the bare pages alone),
  - a no-change fast-loop cycle,
  - a no-change fast-loop cycle with all N runs stored (median of a few),
and prints the ratios, the memory held while paging (flat = it does not grow with the
number of pages) and the machine's load average.

    DATABASE_URL=postgres://... .venv/bin/python bench/mlflow_sync.py [--runs 30000]
        [--memory-page-sizes 1000,200]

Targets (issue 12): first sync <= 1.3x the bare read, flat memory, fast loop < 1 s with
30,000 runs stored. 30,000 runs take some minutes on 2 cores (mostly the server's JSON).
"""

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path: import from the project root instead,
# so a script here never shadows an installed package (as bench/markdown.py once shadowed Markdown).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
# The benchmark's tracking server listens on loopback, which outbound requests may not reach
# unless allowed.
os.environ.setdefault("AIHUB_OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")

N_RUNS = int(os.environ.get("BENCH_RUNS", "30000"))  # --runs overrides
N_LONG = 30
STEPS = 100
METRICS = ["loss", "val_loss", "accuracy", "val_f1", "auc"]


def log_runs(backend_uri: str, artifacts: str, experiment_id: str) -> None:
    """Write the runs straight into the server's backend database with MLflow's own table
    definitions (runs, tags, params, metrics, latest_metrics: the rows `create_run` and
    `log_batch` write), in bulk inserts of bounded size: 30,000 runs through the client or
    the SQL store one by one would take most of an hour on 2 cores."""
    import uuid

    import sqlalchemy
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag

    engine = sqlalchemy.create_engine(backend_uri)
    base = int(time.time() * 1000) - N_RUNS * 1000
    batch = 2000
    with engine.begin() as db:
        for first in range(0, N_RUNS, batch):
            runs, tags, params, metrics, latest = [], [], [], [], []
            for i in range(first, min(first + batch, N_RUNS)):
                start, run_uuid, name = base + i * 1000, uuid.uuid4().hex, f"run-{i:05d}"
                runs.append(
                    {
                        "run_uuid": run_uuid,
                        "name": name,
                        "source_type": "LOCAL",
                        "source_name": "",
                        "entry_point_name": "",
                        "user_id": "bench",
                        "status": "FINISHED",
                        "start_time": start,
                        "end_time": start + 60_000,
                        "deleted_time": None,
                        "source_version": "",
                        "lifecycle_stage": "active",
                        "experiment_id": int(experiment_id),
                        "artifact_uri": f"{artifacts}/{experiment_id}/{run_uuid}/artifacts",
                    }
                )
                tags.append({"key": "mlflow.runName", "value": name, "run_uuid": run_uuid})
                tags.extend(
                    {"key": f"tag_{t}", "value": f"value-{i % (t + 2)}", "run_uuid": run_uuid} for t in range(5)
                )
                params.extend(
                    {"key": f"param_{p}", "value": f"{(i * 7 + p) % 97 / 100}", "run_uuid": run_uuid} for p in range(10)
                )
                steps = STEPS if i < N_LONG else 1
                for k, key in enumerate(METRICS):
                    for step in range(steps):
                        metrics.append(
                            {
                                "key": key,
                                "value": (k + 1) / (step + 2) + i * 1e-6,
                                "timestamp": start + step,
                                "step": step,
                                "is_nan": False,
                                "run_uuid": run_uuid,
                            }
                        )
                    latest.append({**metrics[-1]})
            for model, rows in (
                (SqlRun, runs),
                (SqlTag, tags),
                (SqlParam, params),
                (SqlMetric, metrics),
                (SqlLatestMetric, latest),
            ):
                db.execute(model.__table__.insert(), rows)
    engine.dispose()


def bare_read(url: str, experiment_id: str) -> tuple[float, float, int]:
    """Every runs/search page parsed with json.loads, then every history in bulk."""
    import requests

    session = requests.Session()
    started = time.perf_counter()
    run_ids, token = [], None
    while True:
        body = {
            "experiment_ids": [experiment_id],
            "run_view_type": "ALL",
            "max_results": 1000,
            "order_by": ["attributes.start_time ASC"],
            **({"page_token": token} if token else {}),
        }
        payload = json.loads(
            session.post(
                f"{url}/api/2.0/mlflow/runs/search", data=json.dumps(body), headers={"Content-Type": "application/json"}
            ).content
        )
        run_ids.extend(run["info"]["run_id"] for run in payload.get("runs", []))
        token = payload.get("next_page_token")
        if not token:
            break
    pages = time.perf_counter() - started
    points = 0
    for key in METRICS:
        for i in range(0, len(run_ids), 100):
            params = [("run_id", r) for r in run_ids[i : i + 100]] + [("metric_key", key), ("max_results", 25000)]
            points += len(
                json.loads(session.get(f"{url}/ajax-api/2.0/mlflow/metrics/get-history-bulk", params=params).content)[
                    "metrics"
                ]
            )
    return pages, time.perf_counter() - started, points


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def memory_line(held: list[int], peak: int, base: int) -> str:
    mb = [(h - base) / 1e6 for h in held]
    if not mb:
        return "no page written"
    shown = sorted({0, len(mb) // 4, len(mb) // 2, 3 * len(mb) // 4, len(mb) - 1})
    return (
        f"{len(mb)} pages; after page "
        + ", ".join(f"{i + 1}: {mb[i]:.1f}" for i in shown)
        + f"; lowest {min(mb):.1f}, highest {max(mb):.1f}; peak {(peak - base) / 1e6:.1f} MB"
    )


def main() -> None:
    global N_RUNS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=N_RUNS, help="runs to log and sync (default %(default)s)")
    parser.add_argument(
        "--memory-page-sizes",
        default="1000",
        help="page sizes of the first syncs measured with tracemalloc, comma-separated ('' for none)",
    )
    parser.add_argument("--fast-cycles", type=int, default=5, help="no-change fast-loop cycles timed")
    args = parser.parse_args()
    N_RUNS = args.runs
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
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; load average {load()} "
        f"on {os.cpu_count()} cores"
    )
    workdir = Path(tempfile.mkdtemp(prefix="aihub-bench-mlflow-"))
    server = MlflowServer(workdir)
    t = time.perf_counter()
    server.start(timeout=900)  # 13-27 s idle; minutes on a loaded machine
    print(f"mlflow server answered /health after {time.perf_counter() - t:.1f} s")
    try:
        from mlflow import MlflowClient

        experiment_id = MlflowClient(tracking_uri=server.url).create_experiment("bench")
        t = time.perf_counter()
        log_runs(server.backend_uri, str(server.artifacts), experiment_id)
        print(
            f"setup: logged {N_RUNS} runs ({N_LONG} with {STEPS}-step histories) in "
            f"{time.perf_counter() - t:.1f} s (bulk inserts into the server's backend store)"
        )

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
        fast_times = []
        for _ in range(max(args.fast_cycles, 1)):
            fast, fast_rec = sync("fast")
            assert fast_rec.kind == "fast" and fast_rec.runs_updated == 0, (fast_rec.kind, fast_rec.error)
            fast_times.append(fast)
        fast_times.sort()

        # Memory: first syncs of the same runs into fresh projects with tracemalloc on,
        # recording the memory held after each page is written (flat = it does not grow
        # with the number of pages) and the peak: once with 1,000-run pages, once with 200.
        from experiments.sync.client import RestClient

        def measured_first_sync(key: str, page_size: int) -> tuple[list[int], int, int]:
            project_m = Project.objects.create(key=key, name=f"Sync benchmark (memory, {page_size})")
            source_m = source_create(project=project_m, user=None, tracking_uri=server.url, experiment_names=["bench"])
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

        memory = [
            (size, *measured_first_sync(key, size))
            for key, size in zip(
                ("BENCHM", "BENCHN"),
                [int(size) for size in args.memory_page_sizes.split(",") if size.strip()][:2],
                strict=False,
            )
        ]

        print()
        print(
            f"runs: {N_RUNS}, metric points: {points}, runs/search pages: {record.pages}, "
            f"history requests: {record.history_requests}"
        )
        print(f"bare read (pages + histories):      {bare_total:7.2f} s")
        print(f"bare pages alone:                   {bare_pages:7.2f} s  ({N_RUNS / bare_pages:.0f} runs/s)")
        print(
            f"first full sync:                    {first:7.2f} s  ratio {first / bare_total:.2f}x the bare read "
            f"(target <= 1.3x)"
        )
        print(
            f"no-change full reconcile:           {reconcile:7.2f} s  ratio {reconcile / bare_pages:.2f}x the bare "
            f"pages (target <= 1.2x)"
        )
        print(
            f"no-change fast-loop cycle:          {fast_times[len(fast_times) // 2]:7.2f} s median of "
            f"{len(fast_times)}, slowest {fast_times[-1]:.2f} s, with {N_RUNS} runs stored (target < 1 s)"
        )
        for size, held, peak, base in memory:
            print(f"memory held after each page (MB, tracemalloc), {size}-run pages: {memory_line(held, peak, base)}")
        if memory:
            print("(flat: memory follows the page size, not the number of runs or pages)")
        print(f"load average at the end: {load()}")
    finally:
        server.stop()
        for key in ("BENCH", "BENCHM", "BENCHN"):
            Project.objects.filter(key=key).delete()


if __name__ == "__main__":
    main()

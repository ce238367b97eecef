"""Benchmark of the MLflow sync against a real local `mlflow server`.

Logs N runs (--runs, default 30,000; 10 params, 5 tags, 5 metrics; 30 of them with 100-step
histories) into the server's backend store in bulk, then measures, in the same run:
  - a bare read of the same data by a plain script: every runs/search page over REST parsed
    with json.loads, plus every metric history through the bulk endpoint (the limit),
  - a first full sync into the configured database (DATABASE_URL), then another bare read;
    with --rounds R, R first syncs (each into a fresh project) between bare reads, each
    compared with the faster bare read beside it,
  - the CPU seconds each side cost: this process, the MLflow server, and the database
    connection that writes (on a busy machine the wall-clock ratio moves with the load;
    these do not),
  - the busy time of the sync's reader thread (page diff, histories) and of its writes,
  - a no-change full reconcile (compared with the bare pages alone),
  - a no-change fast-loop cycle with all N runs stored (median of a few),
  - the memory held (tracemalloc) and the resident set size after each page of a first sync
    (flat = it does not grow with the number of pages), and the machine's load average.
Django runs as a worker does in production (DEBUG off; with DEBUG on, Django keeps the text
of its last 9,000 statements).

    DATABASE_URL=postgres://... .venv/bin/python bench/mlflow_sync.py [--runs 30000]
        [--rounds 1] [--memory-page-sizes 1000,200] [--fast-cycles 5]

Targets (issue 12): first sync <= 1.3x the bare read, flat memory, fast loop < 1 s with
30,000 runs stored. 30,000 runs take some minutes on 2 cores (mostly the server's JSON).
"""

import argparse
import json
import os
import statistics
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
# As a Celery worker runs in production: DEBUG off (with DEBUG on, Django keeps the text of the
# last 9,000 statements, megabytes per page of runs, and the memory figures measure that log).
from bench.harness import production_environment  # noqa: E402

production_environment()
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


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux)."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    family, grew = {pid}, True
    while grew:
        children = {p for p, (parent, _) in table.items() if parent in family} - family
        family |= children
        grew = bool(children)
    return sum(table[p][1] for p in family if p in table) / os.sysconf("SC_CLK_TCK")


def resident() -> int:
    """The process's resident set size now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def rss_line(rss: list[int]) -> str:
    if not rss:
        return "no page written"
    mb = [r / 1e6 for r in rss]
    shown = sorted({0, len(mb) // 4, len(mb) // 2, 3 * len(mb) // 4, len(mb) - 1})
    return ", ".join(f"{i + 1}: {mb[i]:.0f}" for i in shown) + f" (pages 1..{len(mb)})"


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
    parser.add_argument(
        "--rounds", type=int, default=1, help="first syncs, each between two bare reads (at most 8; default 1)"
    )
    args = parser.parse_args()
    args.rounds = min(max(args.rounds, 1), 8)
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

        keys = ["BENCH", "BENCHM", "BENCHN", *(f"BENCH{r}" for r in range(2, args.rounds + 1))]
        Project.objects.filter(key__in=keys).delete()

        def new_source(key: str, name: str):
            project = Project.objects.create(key=key, name=name)
            return source_create(project=project, user=None, tracking_uri=server.url, experiment_names=["bench"])

        source = new_source("BENCH", "Sync benchmark")

        def sync(kind: str, on=None) -> tuple[float, SyncRecord]:
            record = SyncRecord.objects.create(source=on or source, kind=kind)
            started = time.perf_counter()
            record = sync_run(record_id=record.pk)
            return time.perf_counter() - started, record

        spent = {"prepare": 0.0, "write": 0.0}  # the reader thread's and the writing thread's busy time
        original_prepare, original_write = importer_module.PageImporter.prepare, importer_module.PageImporter.write

        def timed(name, method):
            def wrapper(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    return method(self, *args, **kwargs)
                finally:
                    spent[name] += time.perf_counter() - started

            return wrapper

        def measured(phase):
            """(wall s, CPU s of this process, of the MLflow server, of the writing database
            connection's backend, result of phase())."""
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend = cursor.fetchone()[0]
            before = (time.perf_counter(), time.process_time(), tree_cpu(server.process.pid), tree_cpu(backend))
            result = phase()
            after = (time.perf_counter(), time.process_time(), tree_cpu(server.process.pid), tree_cpu(backend))
            return (*(b - a for a, b in zip(before, after, strict=True)), result)

        # Rounds of a bare read then a first sync into a fresh project, and a last bare read:
        # each sync is compared with the bare reads on either side of it (the slower machine
        # moments count against the sync: the faster of the two), so a load that changes
        # during the run does not decide the ratio.
        bares, firsts = [measured(lambda: bare_read(server.url, experiment_id))], []
        points = bares[0][4][2]
        for round_ in range(1, args.rounds + 1):
            target = source if round_ == 1 else new_source(f"BENCH{round_}", f"Sync benchmark, round {round_}")
            profiler = None
            if os.environ.get("BENCH_PROFILE") and round_ == 1:  # where the first sync spends its time (main thread)
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            importer_module.PageImporter.prepare = timed("prepare", original_prepare)
            importer_module.PageImporter.write = timed("write", original_write)
            try:
                firsts.append(measured(lambda target=target: sync("full", on=target)))
            finally:
                importer_module.PageImporter.prepare = original_prepare
                importer_module.PageImporter.write = original_write
            if profiler is not None:
                import pstats

                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
            record = firsts[-1][4][1]
            assert record.status == "ok", record.error
            assert Run.objects.filter(source=target).count() == N_RUNS
            assert MetricPoint.objects.filter(run__source=target).count() == points
            bares.append(measured(lambda: bare_read(server.url, experiment_id)))
        ratios = [first[0] / min(bares[i][4][1], bares[i + 1][4][1]) for i, first in enumerate(firsts)]
        first = firsts[0][0]
        bare_pages = min(bare[4][0] for bare in bares)
        bare_total = min(bare[4][1] for bare in bares)
        spent = {name: value / len(firsts) for name, value in spent.items()}
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
            held, rss = [], []
            original_write, original_search = importer_module.PageImporter.write, RestClient.search_runs

            def write(self, page):
                result = original_write(self, page)
                held.append(tracemalloc.get_traced_memory()[0])
                rss.append(resident())
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
            return held, peak, base, rss

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
        print(
            f"first sync, busy time: prepare (reader thread: page diff + histories, without the page reads) "
            f"{spent['prepare']:.2f} s, write (database) {spent['write']:.2f} s"
        )
        print(f"bare read (pages + histories):      {bare_total:7.2f} s  (fastest of {len(bares)})")
        print(f"bare pages alone:                   {bare_pages:7.2f} s  ({N_RUNS / bare_pages:.0f} runs/s)")
        print(
            f"first full sync:                    {first:7.2f} s  ratio {ratios[0]:.2f}x the bare read "
            f"(the faster bare read beside it; target <= 1.3x)"
        )
        if len(ratios) > 1:
            print(
                f"  ratio in each of {len(ratios)} rounds: {', '.join(f'{r:.2f}x' for r in ratios)}; "
                f"median {statistics.median(ratios):.2f}x"
            )
        bare_cpu = [statistics.mean(bare[i] for bare in bares) for i in (1, 2, 3)]
        sync_cpu = [statistics.mean(first[i] for first in firsts) for i in (1, 2, 3)]
        print(
            "CPU seconds (mean), this process / MLflow server / writing database connection: "
            f"bare read {bare_cpu[0]:.1f} / {bare_cpu[1]:.1f} / {bare_cpu[2]:.1f}, "
            f"first sync {sync_cpu[0]:.1f} / {sync_cpu[1]:.1f} / {sync_cpu[2]:.1f}"
        )
        print(
            f"no-change full reconcile:           {reconcile:7.2f} s  ratio {reconcile / bare_pages:.2f}x the bare "
            f"pages (target <= 1.2x)"
        )
        print(
            f"no-change fast-loop cycle:          {fast_times[len(fast_times) // 2]:7.2f} s median of "
            f"{len(fast_times)}, slowest {fast_times[-1]:.2f} s, with {N_RUNS} runs stored (target < 1 s)"
        )
        for size, held, peak, base, rss in memory:
            print(f"memory held after each page (MB, tracemalloc), {size}-run pages: {memory_line(held, peak, base)}")
            print(f"  resident set size after each page (MB, whole process): {rss_line(rss)}")
        if memory:
            print("(flat: memory follows the page size, not the number of runs or pages)")
        print(f"load average at the end: {load()}")
    finally:
        server.stop()
        Project.objects.filter(key__in=["BENCH", "BENCHM", "BENCHN", *(f"BENCH{r}" for r in range(2, 10))]).delete()


if __name__ == "__main__":
    main()

"""Search latency over real HTTP on the configured database (DATABASE_URL; PostgreSQL for
the full-text path, SQLite falls back to icontains).

Seeds its own project with 20,000 tickets and 5,000 docs (25,000 rows) of generated ML-team
text, starts gunicorn (2 sync workers, loopback, --no-control-socket) on the same database,
then times GET /api/v1/search/?q=... (tickets + docs + runs of the user's projects, best
first, 50 results with snippets; bearer token, one fresh connection per request) for a few
typical queries, interleaved with a trivial view (/healthz) measured the same way in the
same rounds. Prints, per query, the rows it matches, the SQL queries one search costs,
median and p95 in ms and the ratio to the trivial view; and the machine's load average.
The project is deleted at the end unless --keep is given (--project KEY reuses a kept one).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub .venv/bin/python bench/search.py

Target (issue 12): p95 <= 50 ms over 25,000 tickets and docs.
"""

import argparse
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path: import from the project root instead,
# so a script here never shadows an installed package (as bench/markdown.py once shadowed Markdown).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

from bench.harness import CountQueries, p95, setup_django  # noqa: E402

setup_django()

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.services import api_token_create  # noqa: E402
from docs_hub.models import Doc  # noqa: E402
from docs_hub.search import search  # noqa: E402
from docs_hub.search.builtin import TSQUERY  # noqa: E402
from docs_hub.search.vectors import DOC_VECTOR, TICKET_VECTOR  # noqa: E402
from projects.models import DEFAULT_WORKFLOW, Membership, Project, Role, Ticket, WorkflowStatus  # noqa: E402

SUBJECTS = [
    "the model",
    "the data pipeline",
    "the labelling team",
    "the feature store",
    "the training job",
    "the evaluation set",
    "the inference service",
    "the camera rig",
    "the drift monitor",
    "the dashboard",
    "the churn model",
    "the tokenizer",
    "the GPU node",
    "the batch scorer",
    "the annotation tool",
]
VERBS = [
    "fails on",
    "improves",
    "slows down",
    "needs",
    "reports",
    "ignores",
    "overfits",
    "retrains on",
    "drops",
    "duplicates",
    "validates",
    "calibrates",
    "exports",
    "caches",
    "logs",
]
OBJECTS = [
    "night-shift images",
    "the holdout month",
    "class imbalance",
    "label noise",
    "p95 latency",
    "the confusion matrix",
    "precision at recall 0.95",
    "schema changes",
    "missing values",
    "data drift",
    "the ROC curve",
    "quantized weights",
    "the learning rate schedule",
    "edge deployment",
    "PII columns",
    "a regression in F1",
    "out-of-memory errors",
    "the baseline run",
    "augmentation",
    "stale features",
]
EXTRAS = [
    "after the last release",
    "on line 3",
    "since Tuesday",
    "for German customers",
    "in staging",
    "when the batch size is 64",
    "with mixed precision",
    "under load",
    "in the weekly report",
    "",
]
TITLE_WORDS = [
    "Investigate",
    "Fix",
    "Add",
    "Evaluate",
    "Document",
    "Retrain",
    "Monitor",
    "Reduce",
    "Label",
    "Deploy",
    "Audit",
    "Benchmark",
    "Refactor",
    "Calibrate",
    "Compare",
]
QUERIES = [
    "data drift",
    "label noise night-shift",
    "p95 latency inference",
    "calibrate camera",
    "regression F1",
    '"class imbalance" holdout',
    "tokenizer",
    "zeppelin",
]


def sentence(rng: random.Random) -> str:
    words = f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(EXTRAS)}"
    return words.strip() + "."


def paragraph(rng: random.Random, n: int) -> str:
    return " ".join(sentence(rng) for _ in range(n))


def title(rng: random.Random) -> str:
    return f"{rng.choice(TITLE_WORDS)} {rng.choice(OBJECTS)} {rng.choice(EXTRAS)}".strip()


@transaction.atomic
def seed(*, tickets: int, docs: int, seed_value: int):
    rng = random.Random(seed_value)
    user = get_user_model().objects.create_user(username=f"bench-search-{secrets.token_hex(4)}")
    key = f"BS{rng.randrange(10**6):06d}"
    while Project.objects.filter(key=key).exists():
        key = f"BS{rng.randrange(10**6):06d}"
    project = Project.objects.create(key=key, name="Search benchmark", ticket_counter=tickets)
    WorkflowStatus.objects.bulk_create(
        WorkflowStatus(project=project, slug=s, name=n, position=i, is_finished=f)
        for i, (s, n, f) in enumerate(DEFAULT_WORKFLOW)
    )
    status = project.statuses.first()
    Membership.objects.create(project=project, user=user, role=Role.MEMBER)
    Ticket.objects.bulk_create(
        (
            Ticket(
                project=project,
                number=n,
                key=f"{key}-{n}",
                title=title(rng),
                status=status,
                rank=n * 1024,
                description=paragraph(rng, rng.randint(2, 8)),
                acceptance_criteria=paragraph(rng, rng.randint(0, 2)),
            )
            for n in range(1, tickets + 1)
        ),
        batch_size=2000,
    )
    Doc.objects.bulk_create(
        (
            Doc(
                project=project,
                title=f"{title(rng)} ({n})",
                slug=f"doc-{n}",
                position=n,
                body="\n\n".join(
                    f"## {title(rng)}\n\n{paragraph(rng, rng.randint(4, 12))}" for _ in range(rng.randint(2, 6))
                ),
            )
            for n in range(1, docs + 1)
        ),
        batch_size=1000,
    )
    return project, user


def matching(project, query: str) -> str:
    """How many tickets and docs the query matches (what a rank-everything search would sort)."""
    if connection.vendor != "postgresql":
        return "-"
    tickets = (
        Ticket.objects.filter(project=project).extra(where=[f"{TICKET_VECTOR} @@ {TSQUERY}"], params=[query]).count()
    )
    docs = Doc.objects.filter(project=project).extra(where=[f"{DOC_VECTOR} @@ {TSQUERY}"], params=[query]).count()
    return f"{tickets}+{docs}"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn as docker-entrypoint.sh starts it (sync workers here, no threads), after the
    Dockerfile's collectstatic into a temporary STATIC_ROOT (or STATIC_ROOT if it has one)."""
    env = dict(os.environ)
    if not (Path(env.get("STATIC_ROOT", "/nonexistent")) / "staticfiles.json").exists():
        env["STATIC_ROOT"] = str(log.parent / "static")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env={**env, "AIHUB_BUILD_ONLY": "true"},
            check=True,
        )
    port = free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "aihub.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--no-control-socket",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit(f"gunicorn did not answer within 180 s:\n{log.read_text()[-3000:]}")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--docs", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=40, help="timed requests per query")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the seeded project (prints its key)")
    parser.add_argument("--project", help="reuse a project seeded and kept by an earlier run")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); load average {load()}")
    if args.project:
        project = Project.objects.get(key=args.project)
        user = Membership.objects.filter(project=project).select_related("user").first().user
        print(
            f"reusing project {project.key}: {Ticket.objects.filter(project=project).count():,} tickets, "
            f"{Doc.objects.filter(project=project).count():,} docs"
        )
    else:
        started = time.perf_counter()
        project, user = seed(tickets=args.tickets, docs=args.docs, seed_value=args.seed)
        print(
            f"seeded {args.tickets:,} tickets and {args.docs:,} docs in project {project.key} "
            f"in {time.perf_counter() - started:.1f} s"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE projects_ticket; ANALYZE docs_hub_doc;")
    token_row, token = api_token_create(user=user, name="bench-search")
    logdir = Path(tempfile.mkdtemp(prefix="aihub-bench-search-"))
    process, url = start_gunicorn(args.workers, logdir / "gunicorn.log")
    try:
        headers = {"Authorization": f"Bearer {token}", "Connection": "close"}

        def api(query: str) -> float:
            start = time.perf_counter()
            response = requests.get(f"{url}/api/v1/search/", params={"q": query}, headers=headers, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, (query, response.status_code, response.text[:300])
            return elapsed

        def trivial() -> float:
            start = time.perf_counter()
            response = requests.get(f"{url}/healthz", headers={"Connection": "close"}, timeout=30)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200
            return elapsed

        info = {}
        for query in QUERIES:
            with CountQueries() as queries:
                hits = search(user=user, query=query, limit=50)
            info[query] = (matching(project, query), len(queries), len(hits))
            for _ in range(3):  # warm both workers
                api(query)
        times: dict[str, list[float]] = {query: [] for query in ["(trivial /healthz)", *QUERIES]}
        for _ in range(args.rounds):  # interleaved: load swings hit every query alike
            times["(trivial /healthz)"].append(trivial())
            for query in QUERIES:
                times[query].append(api(query))
        base = statistics.median(times["(trivial /healthz)"])
        print(
            f"\nGET /api/v1/search/?q=... over HTTP, gunicorn {args.workers} sync workers, fresh connection each, "
            f"{args.rounds} rounds; load average {load()}"
        )
        print(f"{'query':30} {'matching':>11} {'SQL':>4} {'hits':>5} {'median ms':>10} {'p95 ms':>8} {'x trivial':>10}")
        for name, samples in times.items():
            matched, sql, hits = info.get(name, ("", "", ""))
            median = statistics.median(samples)
            print(
                f"{name:30} {matched:>11} {sql!s:>4} {hits!s:>5} {median:>10.1f} {p95(samples):>8.1f} "
                f"{median / base:>10.1f}"
            )
        searches = [t for query in QUERIES for t in times[query]]
        print(
            f"\nall searches: median {statistics.median(searches):.1f} ms, p95 {p95(searches):.1f} ms "
            f"(target p95 <= 50 ms); trivial view median {base:.1f} ms; load average {load()} "
            f"on {os.cpu_count()} cores"
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        token_row.delete()
        if not args.keep and not args.project:
            started = time.perf_counter()
            with transaction.atomic():
                Doc.objects.filter(project=project).delete()
                Ticket.objects.filter(project=project).delete()
                project.delete()
                user.delete()
            print(f"removed project {project.key} in {time.perf_counter() - started:.1f} s")
        elif args.keep:
            print(f"kept project {project.key} (reuse with --project {project.key})")


if __name__ == "__main__":
    main()

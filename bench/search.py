"""Search latency on the configured database (DATABASE_URL; SQLite if unset).

Seeds its own fresh project with 20,000 tickets and 5,000 docs of generated ML-team text,
then times `docs_hub.search.search()` (tickets + docs, scoped to the user's projects, best
first, with snippets) for a few typical queries, and a bare indexed lookup (a ticket by its
unique key) for scale. Prints median and p95 per query and the ratio to the bare lookup.
The project is deleted at the end unless --keep is given.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub .venv/bin/python bench/search.py
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from docs_hub.models import Doc  # noqa: E402
from docs_hub.search import search  # noqa: E402
from docs_hub.search.builtin import TSQUERY  # noqa: E402
from docs_hub.search.vectors import DOC_VECTOR, TICKET_VECTOR  # noqa: E402
from projects.models import DEFAULT_WORKFLOW, Membership, Project, Role, Ticket, WorkflowStatus  # noqa: E402

SUBJECTS = ["the model", "the data pipeline", "the labelling team", "the feature store", "the training job",
            "the evaluation set", "the inference service", "the camera rig", "the drift monitor", "the dashboard",
            "the churn model", "the tokenizer", "the GPU node", "the batch scorer", "the annotation tool"]
VERBS = ["fails on", "improves", "slows down", "needs", "reports", "ignores", "overfits", "retrains on",
         "drops", "duplicates", "validates", "calibrates", "exports", "caches", "logs"]
OBJECTS = ["night-shift images", "the holdout month", "class imbalance", "label noise", "p95 latency",
           "the confusion matrix", "precision at recall 0.95", "schema changes", "missing values", "data drift",
           "the ROC curve", "quantized weights", "the learning rate schedule", "edge deployment", "PII columns",
           "a regression in F1", "out-of-memory errors", "the baseline run", "augmentation", "stale features"]
EXTRAS = ["after the last release", "on line 3", "since Tuesday", "for German customers", "in staging",
          "when the batch size is 64", "with mixed precision", "under load", "in the weekly report", ""]
TITLE_WORDS = ["Investigate", "Fix", "Add", "Evaluate", "Document", "Retrain", "Monitor", "Reduce", "Label",
               "Deploy", "Audit", "Benchmark", "Refactor", "Calibrate", "Compare"]
QUERIES = ["data drift", "label noise night-shift", "p95 latency inference", "calibrate camera", "regression F1",
           "\"class imbalance\" holdout"]


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
    user, _ = get_user_model().objects.get_or_create(username="bench-search")
    key = f"BS{rng.randrange(10**6):06d}"
    while Project.objects.filter(key=key).exists():
        key = f"BS{rng.randrange(10**6):06d}"
    project = Project.objects.create(key=key, name="Search benchmark", ticket_counter=tickets)
    WorkflowStatus.objects.bulk_create(WorkflowStatus(project=project, slug=s, name=n, position=i, is_finished=f)
                                       for i, (s, n, f) in enumerate(DEFAULT_WORKFLOW))
    status = project.statuses.first()
    Membership.objects.create(project=project, user=user, role=Role.MEMBER)
    Ticket.objects.bulk_create(
        (Ticket(project=project, number=n, key=f"{key}-{n}", title=title(rng), status=status, rank=n * 1024,
                description=paragraph(rng, rng.randint(2, 8))) for n in range(1, tickets + 1)),
        batch_size=2000,
    )
    Doc.objects.bulk_create(
        (Doc(project=project, title=f"{title(rng)} ({n})", slug=f"doc-{n}", position=n,
             body="\n\n".join(f"## {title(rng)}\n\n{paragraph(rng, rng.randint(4, 12))}"
                                for _ in range(rng.randint(2, 6))))
         for n in range(1, docs + 1)),
        batch_size=1000,
    )
    return project, user


def matching(project, query: str) -> str:
    """How many tickets and docs the query matches (what ranking has to sort), for context."""
    if connection.vendor != "postgresql":
        return "-"
    tickets = Ticket.objects.filter(project=project).extra(where=[f"{TICKET_VECTOR} @@ {TSQUERY}"],
                                                           params=[query]).count()
    docs = Doc.objects.filter(project=project).extra(where=[f"{DOC_VECTOR} @@ {TSQUERY}"], params=[query]).count()
    return f"{tickets}+{docs}"


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--docs", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the seeded project")
    args = parser.parse_args()

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    started = time.perf_counter()
    project, user = seed(tickets=args.tickets, docs=args.docs, seed_value=args.seed)
    print(f"seeded {args.tickets:,} tickets and {args.docs:,} docs in project {project.key} "
          f"in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE projects_ticket; ANALYZE docs_hub_doc;")
    try:
        rng = random.Random(args.seed)
        keys = [f"{project.key}-{rng.randint(1, args.tickets)}" for _ in range(args.repeat + 1)]
        key_iter = iter(keys * 2)
        bare = timed(lambda: Ticket.objects.filter(key=next(key_iter)).values_list("id", flat=True).first(),
                     args.repeat)
        bare_median = statistics.median(bare)
        print(f"\nbare indexed lookup (ticket by key): median {bare_median:.2f} ms, p95 {p95(bare):.2f} ms\n")
        print(f"{'query':32} {'matching rows':>14} {'median ms':>10} {'p95 ms':>8} {'x bare':>8}")
        medians = []
        for query in QUERIES:
            assert len(search(user=user, query=query, limit=20)) == 20
            times = timed(lambda q=query: search(user=user, query=q, limit=20), args.repeat)
            median = statistics.median(times)
            medians.append(median)
            print(f"{query:32} {matching(project, query):>14} {median:>10.1f} {p95(times):>8.1f} "
                  f"{median / bare_median:>8.0f}")
        print(f"\nall queries: median of medians {statistics.median(medians):.1f} ms "
              f"({statistics.median(medians) / bare_median:.0f}x the bare lookup)")
    finally:
        if not args.keep:
            started = time.perf_counter()
            with transaction.atomic():
                Doc.objects.filter(project=project).delete()
                Ticket.objects.filter(project=project).delete()
                project.delete()
            print(f"removed project {project.key} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

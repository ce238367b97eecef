"""Board benchmark over real HTTP: the board API, the board page and a move, against gunicorn
with 2 sync workers (the setup of the Taiga comparison in issue 12), at 1,000 and 10,000 cards.

Plain Python, no test runner. It starts its own gunicorn on a free loopback port (DEBUG=false,
static files collected, see http_harness.py), seeds a project per size on the PostgreSQL
database of DATABASE_URL (a fresh key, deleted at the end) and sends every request over a
fresh connection, requests of every kind interleaved round by round. Queries per request are
counted once per kind in this process through django.test.Client (the same views and SQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub_bench .venv/bin/python bench/board_http.py

Each figure is printed with its ratio to our trivial views measured in the same run (/healthz,
and an authenticated API call: GET /api/v1/projects/{key}/, token + project, 2 queries), and
compared to Taiga's reference figures from the issue, raw and normalised by each system's
trivial call (the machine's load changes both the same way). Targets: board >= 10x faster than
Taiga's Kanban list, a move >= 2x faster than Taiga's move, constant queries, a move <= 6.
"""

import os
import random
import secrets
import statistics
import string
import sys
import time

from harness import CountQueries, p95, setup_django
from http_harness import Gunicorn, get, load_average, prepare_environment, request

prepare_environment()
setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.services import api_token_create  # noqa: E402
from projects import services  # noqa: E402
from projects.models import Label, Project, Sprint, SprintState, Ticket  # noqa: E402
from projects.ranking import RANK_GAP  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000").split(",")]
ROUNDS = {1000: 40, 10000: 15}
# Taiga 6.10 on this machine kind (issue 12): medians and p95 in ms, 2 sync workers.
TAIGA = {"board": {1000: (387, 433, 465, 694), 10000: (3840, 3840, 4108, 4108)}, "move": (29, 123), "trivial": (9, 11)}


def seed(user, cards: int) -> tuple[Project, Sprint]:
    key = "BH" + "".join(random.choices(string.ascii_uppercase + string.digits, k=6))
    project = services.project_create(creator=user, key=key, name=f"Board HTTP bench {key}")
    today = time.strftime("%Y-%m-%d")
    sprint = Sprint.objects.create(
        project=project, name="Bench sprint", start_date=today, end_date=today, state=SprintState.ACTIVE
    )
    labels = Label.objects.bulk_create(
        Label(project=project, name=name, color="#4f46e5") for name in ("data", "model", "infra", "eval", "bug-bash")
    )
    statuses = list(project.statuses.order_by("position"))
    types, priorities = ["story", "task", "bug", "experiment", "spike"], ["low", "medium", "high", "urgent"]
    tickets = Ticket.objects.bulk_create(
        (
            Ticket(
                project=project,
                number=n,
                key=f"{key}-{n}",
                title=f"Evaluate augmentation variant {n} on the validation split",
                type=types[n % 5],
                priority=priorities[n % 4],
                status=statuses[n % len(statuses)],
                sprint=sprint,
                assignee=user if n % 3 else None,
                reporter=user,
                estimate=(n % 8) or None,
                rank=n * RANK_GAP,
            )
            for n in range(1, cards + 1)
        ),
        batch_size=2000,
    )
    Project.objects.filter(pk=project.pk).update(ticket_counter=cards)
    Ticket.labels.through.objects.bulk_create(
        (
            Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % len(labels)].pk)
            for i, t in enumerate(tickets)
            if i % 2 == 0
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    return project, sprint


def cleanup(project: Project) -> None:
    Ticket.objects.filter(project=project).delete()  # tickets first: their status is protected
    project.delete()


class Mover:
    """Moves a random card (never into or out of the finished column) right after a card
    anywhere in another column, keeping its own copy of the columns' order."""

    def __init__(self, project: Project, seed_value: int = 7):
        self.rng = random.Random(seed_value)
        statuses = list(project.statuses.order_by("position"))
        self.slugs = [s.slug for s in statuses if not s.is_finished]
        self.columns = {slug: [] for slug in self.slugs}
        for key, slug in (
            Ticket.objects.filter(project=project, status__slug__in=self.slugs)
            .order_by("rank", "id")
            .values_list("key", "status__slug")
        ):
            self.columns[slug].append(key)

    def next(self) -> tuple[str, dict]:
        source = self.rng.choice([s for s in self.slugs if self.columns[s]])
        key = self.rng.choice(self.columns[source])
        target = self.rng.choice(self.slugs)
        column = [k for k in self.columns[target] if k != key] if target == source else self.columns[target]
        after = self.rng.choice(column) if column and self.rng.random() > 0.05 else None
        return key, {"status": target, "after": after}

    def done(self, key: str, move: dict) -> None:
        for keys in self.columns.values():
            if key in keys:
                keys.remove(key)
                break
        column = self.columns[move["status"]]
        column.insert(column.index(move["after"]) + 1 if move["after"] else 0, key)


def query_counts(project: Project, user, token: str, mover: Mover) -> dict[str, int]:
    browser, api = Client(), Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    browser.force_login(user)
    counts = {}
    for name, call in (
        ("healthz", lambda: browser.get("/healthz")),
        ("trivial API", lambda: api.get(f"/api/v1/projects/{project.key}/")),
        ("board API", lambda: api.get(f"/api/v1/projects/{project.key}/board/?sprint=active")),
        ("board page", lambda: browser.get(f"/projects/{project.key}/board/")),
    ):
        call()  # warm (the token's first use is recorded once a minute)
        with CountQueries() as queries:
            assert call().status_code == 200, name
        counts[name] = len(queries)
    # A project's first write after commit fills its webhook subscriptions in the cache (one
    # query, then none for 5 minutes): warm it like the rest, then count a move.
    for _warm_then_count in range(2):
        key, move = mover.next()
        with CountQueries() as queries:
            response = api.post(f"/api/v1/tickets/{key}/move/", move, content_type="application/json")
        assert response.status_code == 200, response.content
        mover.done(key, move)
    counts["move"] = len(queries)
    return counts


def measure(server: Gunicorn, project: Project, cards: int, token: str, session: str, mover: Mover) -> dict:
    bearer = {"Authorization": f"Bearer {token}"}
    cookie = {"Cookie": f"sessionid={session}"}
    board_api = f"/api/v1/projects/{project.key}/board/?sprint=active"
    sizes = {}

    def check(answer, name):
        assert answer.status == 200, (name, answer.status, answer.body[:300])
        return answer.ms

    def board(encoding):
        answer = get(server.port, board_api, headers={**bearer, "Accept-Encoding": encoding})
        sizes[encoding] = len(answer.body)
        return check(answer, "board API")

    def move():
        key, body = mover.next()
        answer = request(
            server.port,
            "POST",
            f"/api/v1/tickets/{key}/move/",
            body=_json(body),
            headers={**bearer, "Content-Type": "application/json"},
        )
        check(answer, "move")
        mover.done(key, body)
        return answer.ms

    kinds = {
        "healthz": lambda: check(get(server.port, "/healthz"), "healthz"),
        "trivial API": lambda: check(get(server.port, f"/api/v1/projects/{project.key}/", headers=bearer), "api"),
        "board API (gzip)": lambda: board("gzip"),
        "board API (identity)": lambda: board("identity"),
        "board page": lambda: check(get(server.port, f"/projects/{project.key}/board/", headers=cookie), "page"),
        "move": move,
    }
    for call in kinds.values():  # warm-up round
        call()
    samples = {name: [] for name in kinds}
    rounds = ROUNDS.get(cards, 20)
    for _ in range(rounds):
        for name, call in kinds.items():
            for _repeat in range(3 if name in ("healthz", "trivial API", "move") else 1):
                samples[name].append(call())
    return {"samples": samples, "sizes": sizes}


def _json(value) -> bytes:
    import json

    return json.dumps(value).encode()


def report(cards: int, result: dict, counts: dict) -> dict:
    samples, sizes = result["samples"], result["sizes"]
    medians = {name: statistics.median(values) for name, values in samples.items()}
    healthz, trivial = medians["healthz"], medians["trivial API"]
    print(f"\n{cards:,} cards on the board ({load_average()})")
    print(f"{'':24} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'x healthz':>10} {'x trivial API':>14} {'queries':>8}")
    for name, values in samples.items():
        queries = counts.get(name.split(" (")[0], "")
        print(
            f"{name:24} {len(values):4} {medians[name]:10.1f} {p95(values):8.1f} {medians[name] / healthz:10.1f} "
            f"{medians[name] / trivial:14.1f} {queries!s:>8}"
        )
    print(
        f"board API bytes a card: {sizes['identity'] / cards:.0f} B as JSON, {sizes['gzip'] / cards:.1f} B gzipped "
        f"({sizes['identity'] / 1024:.0f} KB -> {sizes['gzip'] / 1024:.0f} KB)"
    )
    taiga_low, taiga_high, _p95_low, _p95_high = TAIGA["board"].get(cards, (None,) * 4)
    if taiga_low:
        ours = medians["board API (identity)"]
        taiga_trivial = statistics.mean(TAIGA["trivial"])
        normalised = (taiga_low / taiga_trivial) / (ours / trivial)
        print(
            f"vs Taiga's Kanban list ({taiga_low:,}-{taiga_high:,} ms median): {taiga_low / ours:.1f}-"
            f"{taiga_high / ours:.1f}x faster raw (identity JSON; gzip {taiga_low / medians['board API (gzip)']:.1f}x),"
            f" {normalised:.1f}x normalised by each trivial call (Taiga {taiga_trivial:.0f} ms, ours "
            f"{trivial:.1f} ms now); target >= 10x"
        )
    move_median, move_p95 = medians["move"], p95(samples["move"])
    taiga_move, taiga_move_p95 = TAIGA["move"]
    print(
        f"vs Taiga's move ({taiga_move} ms median, {taiga_move_p95} ms p95, Celery on): {taiga_move / move_median:.1f}x"
        f" raw (p95 {taiga_move_p95 / move_p95:.1f}x), "
        f"{(taiga_move / statistics.mean(TAIGA['trivial'])) / (move_median / trivial):.1f}x normalised; "
        f"target >= 2x, <= 6 queries ({counts['move']} now)"
    )
    return medians


def main() -> None:
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=f"bench-{secrets.token_hex(4)}", password=secrets.token_hex(8))
    _, token = api_token_create(user=user, name="bench")
    browser = Client()
    browser.force_login(user)
    session = browser.cookies["sessionid"].value
    print(f"database: {connection.settings_dict['NAME']} on PostgreSQL; every request on a fresh connection")
    try:
        with Gunicorn(workers=2) as server:
            print(server.description)
            for cards in SIZES:
                started = time.perf_counter()
                project, _sprint = seed(user, cards)
                print(
                    f"\nseeded {project.key}: {cards:,} cards in the active sprint over "
                    f"{project.statuses.count()} columns in {time.perf_counter() - started:.1f} s"
                )
                try:
                    mover = Mover(project)
                    counts = query_counts(project, user, token, mover)
                    result = measure(server, project, cards, token, session, mover)
                    report(cards, result, counts)
                finally:
                    cleanup(project)
    finally:
        user.delete()
    print(f"\nfinished ({load_average()})")


if __name__ == "__main__":
    sys.exit(main())

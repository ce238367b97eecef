"""Board benchmark: the board page, the board API, a move and the live poll, at 1,000 cards.

Plain Python, no test runner. It seeds its own project (a fresh key every run, deleted at
the end) on the database of DATABASE_URL: 1,000 tickets in the active sprint spread over the
columns, 10,000 more in the backlog. Requests go through django.test.Client in this
process: the whole Django stack (middleware, auth, sessions, DRF, templates, JSON) and real
SQL to the configured database, without a socket or a WSGI server in front. Every figure is
also given as a ratio to a trivial view (/healthz) measured the same way in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub_board .venv/bin/python bench/board.py

Targets: board API and page p95 <= 60 ms, move median <= 20 ms, a few hundred bytes a card.
"""

import os
import random
import secrets
import statistics
import string
import time

from harness import CPU_MS, CountQueries, p95, setup_django, timed

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.services import api_token_create  # noqa: E402
from projects import services  # noqa: E402
from projects.models import Label, Project, Sprint, SprintState, Ticket  # noqa: E402
from projects.ranking import RANK_GAP  # noqa: E402

BOARD_TICKETS = 1_000
BACKLOG_TICKETS = 10_000
ROUNDS = {"trivial": 300, "page": 60, "api": 60, "move": 150, "poll": 300}


def seed(user) -> tuple[Project, Sprint]:
    key = "BN" + "".join(random.choices(string.ascii_uppercase + string.digits, k=6))
    project = services.project_create(creator=user, key=key, name=f"Board bench {key}")
    today = time.strftime("%Y-%m-%d")
    sprint = Sprint.objects.create(
        project=project, name="Bench sprint", start_date=today, end_date=today, state=SprintState.ACTIVE
    )
    labels = Label.objects.bulk_create(
        Label(project=project, name=name, color="#4f46e5") for name in ("data", "model", "infra", "eval", "bug-bash")
    )
    statuses = list(project.statuses.order_by("position"))
    total = BOARD_TICKETS + BACKLOG_TICKETS
    types = ["story", "task", "bug", "experiment", "spike"]
    priorities = ["low", "medium", "high", "urgent"]
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
                sprint=sprint if n <= BOARD_TICKETS else None,
                assignee=user if n % 3 else None,
                reporter=user,
                estimate=(n % 8) or None,
                rank=n * RANK_GAP,
            )
            for n in range(1, total + 1)
        ),
        batch_size=2000,
    )
    Project.objects.filter(pk=project.pk).update(ticket_counter=total)
    Ticket.labels.through.objects.bulk_create(
        (
            Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % len(labels)].pk)
            for i, t in enumerate(tickets)
            if i % 2 == 0
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    return project, sprint


def main() -> None:
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=f"bench-{secrets.token_hex(4)}", password=secrets.token_hex(8))
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), client: django.test.Client in-process")
    started = time.perf_counter()
    project, sprint = seed(user)
    print(
        f"seeded {project.key}: {BOARD_TICKETS} tickets on the board (active sprint), "
        f"{BACKLOG_TICKETS} in the backlog, in {time.perf_counter() - started:.1f} s"
    )
    try:
        run(project, sprint, user)
    finally:
        cleanup(project, user)


def cleanup(project: Project, user) -> None:
    # Tickets first: their status is a protected foreign key of the workflow.
    Ticket.objects.filter(project=project).delete()
    project.delete()
    user.delete()
    print(f"cleaned up {project.key}")


def run(project: Project, sprint: Sprint, user) -> None:
    browser = Client()
    browser.force_login(user)
    _, raw_token = api_token_create(user=user, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    board_page = f"/projects/{project.key}/board/"
    board_api = f"/api/v1/projects/{project.key}/board/?sprint=active"
    poll_url = f"/projects/{project.key}/live/"

    def get_ok(client, url, **headers):
        response = client.get(url, **headers)
        assert response.status_code in (200, 304), (url, response.status_code)
        return response

    # Payload sizes and query counts, once.
    with CountQueries() as page_queries:
        page = get_ok(browser, board_page)
    page_cards = page.content.decode().count('class="board-card ')
    with CountQueries() as api_queries:
        body = get_ok(api, board_api)
    api_cards = sum(len(c["tickets"]) for c in body.json()["columns"])
    assert api_cards == BOARD_TICKETS, api_cards
    etag = get_ok(browser, poll_url)["ETag"]
    with CountQueries() as poll_queries:
        assert get_ok(browser, poll_url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    board_tickets = list(Ticket.objects.filter(sprint=sprint).values_list("key", flat=True))
    slugs = list(project.statuses.order_by("position").values_list("slug", flat=True))
    rng = random.Random(7)
    by_status = {}
    for key, slug in Ticket.objects.filter(sprint=sprint).values_list("key", "status__slug"):
        by_status.setdefault(slug, []).append(key)

    def move():
        key = rng.choice(board_tickets)
        target = rng.choice(slugs[:-1])  # stay out of "done": no finish hooks in the figure
        after = rng.choice(by_status[target][:50])
        if after == key:
            after = None
        response = api.post(
            f"/api/v1/tickets/{key}/move/", {"status": target, "after": after}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        for keys in by_status.values():
            if key in keys:
                keys.remove(key)
        position = by_status[target].index(after) + 1 if after else 0
        by_status[target].insert(position, key)

    with CountQueries() as move_queries:
        move()

    results = {
        "trivial view (/healthz)": timed(lambda: get_ok(browser, "/healthz"), ROUNDS["trivial"]),
        "board page (first 20 cards a column)": timed(lambda: get_ok(browser, board_page), ROUNDS["page"]),
        f"board API ({BOARD_TICKETS} cards)": timed(lambda: get_ok(api, board_api), ROUNDS["api"]),
        "move (API)": timed(move, ROUNDS["move"]),
        "live poll, 304": timed(lambda: get_ok(browser, poll_url, HTTP_IF_NONE_MATCH=etag), ROUNDS["poll"]),
    }
    baseline = statistics.median(results["trivial view (/healthz)"])
    print(f"\n{'':40} {'median ms':>10} {'p95 ms':>8} {'x trivial':>10} {'CPU ms':>8}")
    for name, samples in results.items():
        median = statistics.median(samples)
        cpu = statistics.median(CPU_MS[id(samples)])
        print(f"{name:40} {median:10.2f} {p95(samples):8.2f} {median / baseline:10.1f} {cpu:8.2f}")
    print(
        f"(load average while measuring: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} cores; CPU ms = this process only, the database's work excluded)"
    )

    def rebalance(around=None):
        with transaction.atomic():
            Project.objects.select_for_update().get(pk=project.pk)
            services.project_ranks_rebalance(project=project, around=around)

    spot = Ticket.objects.filter(project=project).order_by("rank").values_list("rank", flat=True)[5000]
    local_samples = timed(lambda: rebalance(spot), 20, warmup=1)
    rebalance_samples = timed(rebalance, 5, warmup=1)

    # Order stays consistent after all those moves: every card once, no two in one place.
    places = list(Ticket.objects.filter(project=project).values_list("status_id", "rank"))
    assert len(places) == len(set(places)) == BOARD_TICKETS + BACKLOG_TICKETS

    api_bytes = len(body.content)
    print(
        f"\nboard API payload: {api_bytes / 1024:.0f} KB for {api_cards} cards"
        f" = {api_bytes / api_cards:.0f} bytes a card"
    )
    print(
        f"board page: {len(page.content) / 1024:.0f} KB HTML for {page_cards} cards shown "
        f"(~{len(page.content) / max(page_cards, 1):.0f} bytes a card, page chrome included); "
        f"the rest loads per column on scroll"
    )
    print(
        f"SQL queries: page {len(page_queries)}, API {len(api_queries)}, move {len(move_queries)}, "
        f"poll 304 {len(poll_queries)} (session, user, membership) + 1 cache read"
    )
    print(
        f"making room when a gap runs out (rare): around the spot {statistics.median(local_samples):.1f} ms "
        f"median (what a move does); all {BOARD_TICKETS + BACKLOG_TICKETS} ranks "
        f"{statistics.median(rebalance_samples):.1f} ms"
    )
    poll_median = statistics.median(results["live poll, 304"])
    print(
        f"live poll: {len(poll_url)}-byte URL, empty 304 body; 200 open boards polling every 2 s = "
        f"100 polls/s = {100 * poll_median / 1000:.2f} s of one worker per second ({poll_median:.2f} ms each)"
    )


if __name__ == "__main__":
    main()

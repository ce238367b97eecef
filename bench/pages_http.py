"""Page budgets over real HTTP (issue 12, target 6): the hub, the dashboard, the backlog
(10,000 tickets with 100,000 history lines), the sprint page, the docs tree (2,000 pages) and
the runs table (30,000 runs), each as a ratio to our trivial views, against gunicorn with 2
sync workers; the hub and the dashboard also right after a change (their kept figures
computed again).

Plain Python, no test runner. It starts its own gunicorn on a free loopback port (DEBUG=false,
see http_harness.py) sharing Redis with this process (REDIS_URL, database 13 unless set),
seeds one project on the PostgreSQL database of DATABASE_URL (a fresh key, deleted at the
end), and requests each page over a fresh connection, kinds interleaved round by round.
Queries per page are counted once in this process (django.test.Client).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub_bench .venv/bin/python bench/pages_http.py

Target: every page within 5x of the trivial view, a constant number of queries (the query
budgets at two sizes are tests: tests/projects/test_views_hub_queries.py and the others).
"""

import datetime
import functools
import os
import random
import secrets
import statistics
import string
import sys
import time
import uuid

# The server and this process share the cache (as web processes do in production): the rows
# "after a change" announce a change here that the server sees.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")

from harness import CountQueries, p95, setup_django
from http_harness import Gunicorn, get, load_average, prepare_environment

prepare_environment()
setup_django()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.services import api_token_create  # noqa: E402
from docs_hub.models import Doc  # noqa: E402
from experiments.models import Experiment, MlflowSource, Run  # noqa: E402
from projects import services  # noqa: E402
from projects.models import Label, Project, Sprint, SprintState, Ticket, TicketEvent  # noqa: E402
from projects.ranking import RANK_GAP  # noqa: E402

TICKETS, SPRINT_TICKETS, DOCS, RUNS = 10_000, 1_000, 2_000, 30_000
EVENTS_PER_TICKET = 10  # history lines (status changes) of each ticket: 100,000 in all
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))


def seed(user) -> tuple[Project, Sprint, Experiment]:
    key = "PG" + "".join(random.choices(string.ascii_uppercase + string.digits, k=6))
    project = services.project_create(creator=user, key=key, name=f"Pages bench {key}")
    today = timezone.localdate()
    sprint = Sprint.objects.create(
        project=project,
        name="Bench sprint",
        start_date=today - datetime.timedelta(days=5),
        end_date=today + datetime.timedelta(days=9),
        state=SprintState.ACTIVE,
    )
    labels = Label.objects.bulk_create(
        Label(project=project, name=name, color="#4f46e5") for name in ("data", "model", "infra")
    )
    statuses = list(project.statuses.order_by("position"))
    tickets = Ticket.objects.bulk_create(
        (
            Ticket(
                project=project,
                number=n,
                key=f"{key}-{n}",
                title=f"Evaluate augmentation variant {n}",
                status=statuses[n % len(statuses)],
                sprint=sprint if n <= SPRINT_TICKETS else None,
                reporter=user,
                assignee=user if n % 3 else None,
                estimate=(n % 8) or None,
                rank=n * RANK_GAP,
            )
            for n in range(1, TICKETS + 1)
        ),
        batch_size=2000,
    )
    Project.objects.filter(pk=project.pk).update(ticket_counter=TICKETS)
    Ticket.labels.through.objects.bulk_create(
        (Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % 3].pk) for i, t in enumerate(tickets) if i % 2),
        batch_size=5000,
    )
    # A history as projects accumulate it: every ticket's status changes, and the sprint's
    # tickets moved into it (the sprint's figures read those moves).
    TicketEvent.objects.bulk_create(
        (
            TicketEvent(ticket=t, kind="changed", field="status", old_value="todo", new_value="in_progress")
            for t in tickets
            for _ in range(EVENTS_PER_TICKET)
        ),
        batch_size=5000,
    )
    TicketEvent.objects.bulk_create(
        (
            TicketEvent(
                ticket=t,
                kind="changed",
                field="sprint",
                new_value=sprint.name,
                data={"old_id": None, "new_id": sprint.pk},
            )
            for t in tickets
            if t.sprint_id
        ),
        batch_size=5000,
    )
    Doc.objects.bulk_create(
        (
            Doc(
                project=project,
                title=f"Design note {n}",
                slug=f"note-{n}",
                position=n,
                body=f"Notes on {key}-{n}.",
                body_html=f"<p>Notes on {key}-{n}.</p>",
            )
            for n in range(1, DOCS + 1)
        ),
        batch_size=1000,
    )
    source = MlflowSource.objects.create(
        project=project, tracking_uri="http://127.0.0.1:5999", experiment_names=["bench"]
    )
    experiment = Experiment.objects.create(source=source, experiment_id="1", name="bench")
    start = timezone.now() - datetime.timedelta(days=30)
    rng = random.Random(3)
    Run.objects.bulk_create(
        (
            Run(
                project=project,
                source=source,
                experiment=experiment,
                run_id=uuid.uuid4().hex,
                name=f"run-{n}",
                status="FINISHED",
                start_time=start + datetime.timedelta(minutes=n),
                end_time=start + datetime.timedelta(minutes=n + 20),
                params={"lr": str(rng.choice([0.1, 0.01, 0.001])), "batch": "32"},
                metrics={"val_f1": rng.random(), "loss": rng.random()},
                fingerprint="bench",
            )
            for n in range(RUNS)
        ),
        batch_size=2000,
    )
    # What autovacuum does soon after a bulk load (its insert threshold): statistics, and the
    # visibility map that lets a count read an index alone (the runs table's capped count).
    with connection.cursor() as cursor:
        for model in (Ticket, TicketEvent, Doc, Run):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return project, sprint, experiment


def cleanup(project: Project) -> None:
    Run.objects.filter(project=project).delete()
    Doc.objects.filter(project=project).delete()
    Ticket.objects.filter(project=project).delete()
    project.delete()


def _queries(call, name: str) -> int:
    call()
    with CountQueries() as queries:
        assert call().status_code == 200, name
    return len(queries)


def _measure(
    port: int, pages: dict, after_a_change: dict, api_headers: dict, cookie: dict, project: Project, sprint: Sprint
) -> dict[str, list[float]]:
    """Every kind once to warm up, then ROUNDS rounds, kinds interleaved: {kind: [ms]}."""
    kinds = {
        "healthz": lambda: get(port, "/healthz"),
        "trivial API": lambda: get(port, f"/api/v1/projects/{project.key}/", headers=api_headers),
    }
    kinds.update({name: functools.partial(get, port, url, headers=cookie) for name, url in pages.items()})

    # The keys of live.kept_until_changed: the health, the dashboard and the sprint's burndown.
    kept = [f"kept:{name}:{project.pk}" for name in ("health", "dashboard", f"burndown:{sprint.pk}")]

    def changed_then(url: str):
        cache.delete_many(kept)  # not timed
        return get(port, url, headers=cookie)

    kinds.update({name: functools.partial(changed_then, url) for name, url in after_a_change.items()})
    samples = {name: [] for name in kinds}
    for call in kinds.values():
        call()
    for _ in range(ROUNDS):
        for name, call in kinds.items():
            answer = call()
            assert answer.status == 200, (name, answer.status)
            samples[name].append(answer.ms)
    return samples


def _report(samples: dict[str, list[float]], counts: dict[str, int]) -> None:
    healthz = statistics.median(samples["healthz"])
    trivial = statistics.median(samples["trivial API"])
    print(f"{'':28} {'median ms':>10} {'p95 ms':>8} {'x healthz':>10} {'x trivial API':>14} {'queries':>8}")
    for name, values in samples.items():
        median = statistics.median(values)
        verdict = (
            "" if name in ("healthz", "trivial API") else ("  within 5x" if median / trivial <= 5 else "  over 5x")
        )
        print(
            f"{name:28} {median:10.1f} {p95(values):8.1f} {median / healthz:10.1f} {median / trivial:14.1f} "
            f"{counts[name]:8}{verdict}"
        )


def main() -> None:
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=f"bench-{secrets.token_hex(4)}", password=secrets.token_hex(8))
    _, token = api_token_create(user=user, name="bench")
    browser = Client()
    browser.force_login(user)
    cookie = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    started = time.perf_counter()
    project, sprint, experiment = seed(user)
    print(
        f"seeded {project.key}: {TICKETS:,} tickets ({SPRINT_TICKETS:,} in the active sprint, "
        f"{TICKETS * EVENTS_PER_TICKET:,} history lines), {DOCS:,} docs, "
        f"{RUNS:,} runs in {time.perf_counter() - started:.0f} s"
    )
    key = project.key
    pages = {
        "hub": f"/projects/{key}/",
        "dashboard": f"/projects/{key}/dashboard/",
        "backlog (10,000 tickets)": f"/projects/{key}/backlog/",
        "sprint page": f"/projects/{key}/sprints/{sprint.pk}/",
        "docs tree (2,000 pages)": f"/projects/{key}/docs/",
        "runs table (30,000 runs)": f"/projects/{key}/experiments/e/{experiment.pk}/",
    }
    # The hub and the dashboard keep the project's health and figures until its next change
    # (AIHUB_FIGURES_CACHE_SECONDS): "after a change" forgets them (the server and this process
    # share Redis) before each request, so that view computes them again. Forgetting only
    # those, not announcing a change, leaves what the other pages keep as it is.
    after_a_change = {f"{name}, after a change": pages[name] for name in ("hub", "dashboard")}
    try:
        counts = {}
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        for name, call in [
            ("healthz", lambda: browser.get("/healthz")),
            ("trivial API", lambda: api.get(f"/api/v1/projects/{key}/")),
        ] + [(name, functools.partial(browser.get, url)) for name, url in pages.items()]:
            counts[name] = _queries(call, name)
        with override_settings(AIHUB_FIGURES_CACHE_SECONDS=0):
            for name, url in after_a_change.items():
                counts[name] = _queries(functools.partial(browser.get, url), name)
        trivial_api = {"Authorization": f"Bearer {token}"}
        with Gunicorn(workers=2) as server:
            print(f"{server.description}; every request on a fresh connection")
            samples = _measure(server.port, pages, after_a_change, trivial_api, cookie, project, sprint)
        print(f"\n{load_average()}")
        _report(samples, counts)
        print(
            "(5x target read against the trivial authenticated API call, the comparable trivial view: "
            "/healthz answers before sessions, authentication and the database)"
        )
    finally:
        cleanup(project)
        user.delete()
    print(f"finished ({load_average()})")


if __name__ == "__main__":
    sys.exit(main())

"""Capacity over HTTP, open loop: how much load the recommended gunicorn setup carries on
this machine with 0 errors and p95 <= 150 ms for every kind of request (issue 12, target 4).

Plain Python, no test runner, standard library only. It starts gunicorn as the README
recommends (2 workers x 4 threads, gthread; see http_harness.py) on a free loopback port,
seeds a project on the PostgreSQL database of DATABASE_URL (1,000 cards in the active sprint,
1,000 more in the backlog; deleted at the end) and drives an open-loop load: every request is
scheduled at a fixed time, sent on its own fresh connection whether or not earlier ones have
answered, and its latency counts from the time it was scheduled (so a server that falls
behind shows it, instead of the client slowing down with it).

The base load (rate 1.0): 200 open boards polling /live/ every 2 s (100 polls/s, mostly 304),
plus 20 active people each doing one of {load the board, open a ticket, open the backlog,
move a card} every 5 s (4 requests/s). Each step multiplies both rates, runs for
BENCH_STEP_SECONDS (30 s by default) and stops; the steps go up until one fails the target.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub_bench .venv/bin/python bench/load.py

Once a step fails, BENCH_REFINE more steps (default 2) bisect between the highest rate that
met the target and the lowest that missed it, so the figure printed is within a quarter of
that interval.

Environment: BENCH_STEPS (multipliers, default "0.1,0.25,0.5,1,1.5,2,3"), BENCH_STEP_SECONDS,
BENCH_REFINE, BENCH_WORKERS / BENCH_THREADS (gunicorn, default 2 and 4). The load generator
runs on the same machine and takes CPU from the server: the figures are a floor.
"""

import json
import os
import random
import secrets
import statistics
import string
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from harness import p95, setup_django
from http_harness import Gunicorn, load_average, prepare_environment, request

prepare_environment()
setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.services import api_token_create  # noqa: E402
from projects import services  # noqa: E402
from projects.models import Membership, Project, Role, Sprint, SprintState, Ticket  # noqa: E402
from projects.ranking import RANK_GAP  # noqa: E402

BOARDS, POLL_EVERY = 200, 2.0
PEOPLE, ACT_EVERY = 20, 5.0
P95_TARGET_MS = 150.0
STEPS = [float(x) for x in os.environ.get("BENCH_STEPS", "0.1,0.25,0.5,1,1.5,2,3").split(",")]
STEP_SECONDS = float(os.environ.get("BENCH_STEP_SECONDS", "30"))
REFINE = int(os.environ.get("BENCH_REFINE", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
BOARD_CARDS, BACKLOG = 1000, 1000


def seed() -> tuple[Project, list[dict]]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    tag = secrets.token_hex(3)
    owner = User.objects.create_user(username=f"load-owner-{tag}", password=secrets.token_hex(8))
    key = "LD" + "".join(random.choices(string.ascii_uppercase + string.digits, k=6))
    project = services.project_create(creator=owner, key=key, name=f"Load bench {key}")
    today = time.strftime("%Y-%m-%d")
    sprint = Sprint.objects.create(
        project=project, name="Load sprint", start_date=today, end_date=today, state=SprintState.ACTIVE
    )
    statuses = list(project.statuses.order_by("position"))
    Ticket.objects.bulk_create(
        (
            Ticket(
                project=project,
                number=n,
                key=f"{key}-{n}",
                title=f"Load ticket {n} on the validation split",
                status=statuses[n % len(statuses)],
                sprint=sprint if n <= BOARD_CARDS else None,
                reporter=owner,
                assignee=owner if n % 3 else None,
                estimate=(n % 8) or None,
                rank=n * RANK_GAP,
            )
            for n in range(1, BOARD_CARDS + BACKLOG + 1)
        ),
        batch_size=2000,
    )
    Project.objects.filter(pk=project.pk).update(ticket_counter=BOARD_CARDS + BACKLOG)
    people = []
    for n in range(PEOPLE):
        user = User.objects.create_user(username=f"load-{tag}-{n}", password=secrets.token_hex(8))
        Membership.objects.create(project=project, user=user, role=Role.MEMBER)
        _, token = api_token_create(user=user, name="load")
        browser = Client()
        browser.force_login(user)
        people.append({"user": user, "token": token, "session": browser.cookies["sessionid"].value})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    return project, people


def cleanup(project: Project, people: list[dict]) -> None:
    owner_ids = list(project.memberships.values_list("user_id", flat=True))
    Ticket.objects.filter(project=project).delete()
    project.delete()
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk__in=owner_ids).delete()


class Load:
    def __init__(self, server: Gunicorn, project: Project, people: list[dict]):
        self.server, self.project, self.people = server, project, people
        self.keys = list(Ticket.objects.filter(project=project, sprint__isnull=False).values_list("key", flat=True))
        self.slugs = list(
            project.statuses.filter(is_finished=False).order_by("position").values_list("slug", flat=True)
        )
        self.etag = ""
        first = request(
            server.port,
            "GET",
            f"/projects/{project.key}/live/",
            headers={"Cookie": f"sessionid={people[0]['session']}"},
        )
        self.etag = first.headers.get("ETag", "")

    def warm_up(self) -> None:
        """Each kind a few times per worker before the first step: a worker's first page of a
        kind loads its templates and code, which no steady state pays (at a tenth of the base
        load a step holds only two or three board loads, so cold ones would decide its p95)."""
        rng = random.Random(0)
        for kind in ("live poll", "board", "ticket", "backlog", "move"):
            for n in range(self.server.workers * 3):
                self.send(kind, self.people[n % len(self.people)], rng)

    def schedule(self, rate: float, seconds: float, rng: random.Random) -> list[tuple[float, str, dict]]:
        """(when, kind, person) for every request of a step, at fixed times."""
        plan = []
        boards = max(1, round(BOARDS * rate))
        for board in range(boards):
            phase = rng.uniform(0, POLL_EVERY)
            person = self.people[board % len(self.people)]
            plan += [
                (phase + i * POLL_EVERY, "live poll", person)
                for i in range(int((seconds - phase) / POLL_EVERY) + 1)
                if phase + i * POLL_EVERY < seconds
            ]
        people = max(1, round(PEOPLE * rate))
        for n in range(people):
            phase = rng.uniform(0, ACT_EVERY)
            person = self.people[n % len(self.people)]
            t = phase
            while t < seconds:
                plan.append((t, rng.choice(["board", "ticket", "backlog", "move"]), person))
                t += ACT_EVERY
        return sorted(plan, key=lambda item: item[0])

    def send(self, kind: str, person: dict, rng: random.Random):
        key = self.project.key
        cookie = {"Cookie": f"sessionid={person['session']}"}
        if kind == "live poll":
            return request(
                self.server.port,
                "GET",
                f"/projects/{key}/live/",
                headers={**cookie, "If-None-Match": self.etag},
                timeout=30,
            )
        if kind == "board":
            return request(self.server.port, "GET", f"/projects/{key}/board/", headers=cookie, timeout=30)
        if kind == "ticket":
            return request(
                self.server.port, "GET", f"/projects/{key}/tickets/{rng.choice(self.keys)}/", headers=cookie, timeout=30
            )
        if kind == "backlog":
            return request(self.server.port, "GET", f"/projects/{key}/backlog/", headers=cookie, timeout=30)
        body = json.dumps({"status": rng.choice(self.slugs), "after": None}).encode()  # to the top: always valid
        return request(
            self.server.port,
            "POST",
            f"/api/v1/tickets/{rng.choice(self.keys)}/move/",
            body=body,
            headers={"Authorization": f"Bearer {person['token']}", "Content-Type": "application/json"},
            timeout=30,
        )

    def step(self, rate: float) -> dict:
        rng = random.Random(int(rate * 1000))
        plan = self.schedule(rate, STEP_SECONDS, rng)
        results: dict[str, list] = {}
        errors: dict[str, list] = {}
        lock = threading.Lock()

        def fire(when: float, kind: str, person: dict, start: float):
            local = random.Random()
            try:
                answer = self.send(kind, person, local)
                ok = answer.status in (200, 304)
                detail = answer.status
            except OSError as error:
                ok, detail = False, type(error).__name__
            latency = (time.perf_counter() - (start + when)) * 1000  # from the scheduled time
            with lock:
                results.setdefault(kind, []).append(latency)
                if not ok:
                    errors.setdefault(kind, []).append(detail)

        with ThreadPoolExecutor(max_workers=400) as pool:
            start = time.perf_counter()
            for when, kind, person in plan:
                delay = start + when - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(fire, when, kind, person, start)
        return {"results": results, "errors": errors, "requests": len(plan), "seconds": STEP_SECONDS}


def main() -> None:
    call_command("migrate", verbosity=0)
    project, people = seed()
    print(
        f"database: {connection.settings_dict['NAME']}; project {project.key}: {BOARD_CARDS:,} cards on the board, "
        f"{BACKLOG:,} in the backlog; {PEOPLE} members with a session and a token"
    )
    best = None
    try:
        with Gunicorn(workers=WORKERS, threads=THREADS) as server:
            print(f"{server.description}; open loop, {STEP_SECONDS:.0f} s a step, a fresh connection a request")
            print(
                f"base load (rate 1): {BOARDS} boards polling every {POLL_EVERY:.0f} s + {PEOPLE} people acting "
                f"every {ACT_EVERY:.0f} s = {BOARDS / POLL_EVERY + PEOPLE / ACT_EVERY:.0f} requests/s"
            )
            load = Load(server, project, people)
            load.warm_up()
            rates, missed, refined = list(STEPS), None, 0
            while rates:
                rate = rates.pop(0)
                outcome = load.step(rate)
                per_second = outcome["requests"] / outcome["seconds"]
                print(f"\nrate {rate:g} ({per_second:.0f} requests/s scheduled; {load_average()})")
                print(f"  {'kind':10} {'n':>6} {'errors':>7} {'median ms':>10} {'p95 ms':>8}")
                passed = True
                for kind in ("live poll", "board", "ticket", "backlog", "move"):
                    values = outcome["results"].get(kind, [])
                    if not values:
                        continue
                    failed = outcome["errors"].get(kind, [])
                    kind_p95 = p95(values)
                    passed &= not failed and kind_p95 <= P95_TARGET_MS
                    detail = f"  {sorted(set(map(str, failed)))[:3]}" if failed else ""
                    print(
                        f"  {kind:10} {len(values):6} {len(failed):7} {statistics.median(values):10.1f} "
                        f"{kind_p95:8.1f}{detail}"
                    )
                print(
                    f"  -> {'meets' if passed else 'misses'} the target (0 errors, p95 <= {P95_TARGET_MS:.0f} ms "
                    f"for every kind)"
                )
                if passed:
                    best = (rate, per_second)
                else:
                    missed = rate if missed is None else min(missed, rate)
                    rates = []
                if missed is not None and refined < REFINE:  # bisect between the best pass and the first miss
                    refined += 1
                    rates = [round(((best[0] if best else 0) + missed) / 2, 3)]
    finally:
        cleanup(project, people)
    if best:
        print(
            f"\nhighest rate meeting the target: {best[0]:g}x the base load = {best[1]:.0f} requests/s "
            f"({BOARDS * best[0]:.0f} open boards + {PEOPLE * best[0]:.0f} active people)"
        )
    else:
        print("\nno step met the target on this machine now")
    print(f"finished ({load_average()})")


if __name__ == "__main__":
    sys.exit(main())

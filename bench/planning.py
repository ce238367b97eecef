"""Planning benchmark: backlog page, tickets API, ticket page, a ticket edit and a burndown,
on a project with 10,000 backlog tickets and a 1,000-ticket active sprint with history.

Plain Python, no test runner. It seeds its own project (a fresh key every run, deleted at
the end) on the database of DATABASE_URL and sends requests through django.test.Client in
this process (the whole Django stack and real SQL, no socket). Every figure is also given as
a ratio to a trivial view (/healthz) measured the same way in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub_planning .venv/bin/python bench/planning.py
"""

import datetime
import random
import secrets
import statistics
import string
import time

from harness import CountQueries, p95, setup_django, timed

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.services import api_token_create  # noqa: E402
from projects import services  # noqa: E402
from projects.models import Label, Project, Sprint, SprintState, Ticket, TicketEvent  # noqa: E402
from projects.ranking import RANK_GAP  # noqa: E402

BACKLOG_TICKETS = 10_000
SPRINT_TICKETS = 1_000
ROUNDS = {"trivial": 200, "page": 40, "api": 40, "edit": 60, "burndown": 30}


def seed(user) -> tuple[Project, Sprint]:
    key = "PB" + "".join(random.choices(string.ascii_uppercase + string.digits, k=6))
    project = services.project_create(creator=user, key=key, name=f"Planning bench {key}")
    today = timezone.localdate()
    started = timezone.now() - datetime.timedelta(days=6)
    sprint = Sprint.objects.create(
        project=project,
        name="Bench sprint",
        start_date=today - datetime.timedelta(days=6),
        end_date=today + datetime.timedelta(days=7),
        state=SprintState.ACTIVE,
        started_at=started,
        capacity=3000,
    )
    labels = Label.objects.bulk_create(Label(project=project, name=n) for n in ("data", "model", "eval", "bug-bash"))
    statuses = list(project.statuses.order_by("position"))
    done = next(s for s in statuses if s.is_finished)
    total = BACKLOG_TICKETS + SPRINT_TICKETS
    long_ago = started - datetime.timedelta(days=3)
    tickets = Ticket.objects.bulk_create(
        (
            Ticket(
                project=project,
                number=n,
                key=f"{key}-{n}",
                title=f"Evaluate augmentation variant {n}",
                type=("story", "task", "bug", "experiment", "spike")[n % 5],
                priority=("low", "medium", "high", "urgent")[n % 4],
                status=done if n <= SPRINT_TICKETS and n % 3 == 0 else statuses[n % (len(statuses) - 1)],
                finished_at=started + datetime.timedelta(days=n % 6, hours=3)
                if n <= SPRINT_TICKETS and n % 3 == 0
                else None,
                sprint=sprint if n <= SPRINT_TICKETS else None,
                assignee=user if n % 2 else None,
                reporter=user,
                estimate=(n % 8) or None,
                rank=n * RANK_GAP,
                created_at=long_ago,
            )
            for n in range(1, total + 1)
        ),
        batch_size=2000,
    )
    Ticket.objects.filter(project=project).update(created_at=long_ago)
    Project.objects.filter(pk=project.pk).update(ticket_counter=total)
    Ticket.labels.through.objects.bulk_create(
        (Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % len(labels)].pk) for i, t in enumerate(tickets)),
        batch_size=5000,
    )
    # History: every sprint ticket was planned in before the start; some were added mid-sprint.
    TicketEvent.objects.bulk_create(
        (
            TicketEvent(
                ticket=t,
                actor=user,
                kind="changed",
                field="sprint",
                new_value="Bench sprint",
                data={"old_id": None, "new_id": sprint.pk},
                created_at=started - datetime.timedelta(hours=1) if i % 10 else started + datetime.timedelta(days=2),
            )
            for i, t in enumerate(tickets[:SPRINT_TICKETS])
        ),
        batch_size=2000,
    )
    TicketEvent.objects.filter(ticket__project=project, field="sprint", data__new_id=sprint.pk).update(
        created_at=started - datetime.timedelta(hours=1)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
            cursor.execute(f"ANALYZE {TicketEvent._meta.db_table}")
    return project, sprint


def run(project: Project, sprint: Sprint, user) -> None:
    browser = Client()
    browser.force_login(user)
    _, raw = api_token_create(user=user, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    key = project.key
    ticket = Ticket.objects.filter(project=project, sprint=sprint).order_by("number").first()
    urls = {
        "backlog page (first 100 of 11,000)": f"/projects/{key}/backlog/",
        "backlog page, filtered + page 20": f"/projects/{key}/backlog/?label=model&type=bug&page=20",
        "tickets API (first page)": f"/api/v1/projects/{key}/tickets/",
        "tickets API, ?q=variant 99&status=todo": f"/api/v1/projects/{key}/tickets/?q=variant%2099&status=todo",
        "ticket page": f"/projects/{key}/tickets/{ticket.key}/",
        f"sprint page ({SPRINT_TICKETS} tickets)": f"/projects/{key}/sprints/{sprint.pk}/",
        f"burndown API ({SPRINT_TICKETS} tickets, 14 days)": f"/api/v1/sprints/{sprint.pk}/burndown/",
    }

    def get_ok(client, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def client_for(url):
        return api if url.startswith("/api/") else browser

    queries = {}
    for name, url in urls.items():
        with CountQueries() as counted:
            get_ok(client_for(url), url)
        queries[name] = counted.count

    versions = {"v": ticket.version}

    def edit():
        response = api.patch(
            f"/api/v1/tickets/{ticket.key}/",
            {"title": f"Edited {random.random()}", "version": versions["v"]},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        versions["v"] = response.json()["version"]

    with CountQueries() as edit_queries:
        edit()
    queries["ticket PATCH (API, with history)"] = edit_queries.count

    results = {"trivial view (/healthz)": timed(lambda: get_ok(browser, "/healthz"), ROUNDS["trivial"])}
    for name, url in urls.items():
        rounds = ROUNDS["burndown"] if "burndown" in name else ROUNDS["api" if "API" in name else "page"]
        results[name] = timed(lambda url=url: get_ok(client_for(url), url), rounds)
    results["ticket PATCH (API, with history)"] = timed(edit, ROUNDS["edit"])
    baseline = statistics.median(results["trivial view (/healthz)"])
    print(f"\n{'':48} {'median ms':>10} {'p95 ms':>8} {'x trivial':>10} {'SQL':>5}")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"{name:48} {median:10.2f} {p95(samples):8.2f} {median / baseline:10.1f} {queries.get(name, ''):>5}")
    burndown = get_ok(api, urls[f"burndown API ({SPRINT_TICKETS} tickets, 14 days)"]).json()
    print(
        f"\nburndown: {len(burndown['days'])} days so far, committed {burndown['committed_points']} pts, "
        f"remaining today {burndown['days'][-1]['remaining_points']} pts"
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=f"bench-{secrets.token_hex(4)}", password=secrets.token_hex(8))
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), client: django.test.Client in-process")
    started = time.perf_counter()
    project, sprint = seed(user)
    print(
        f"seeded {project.key}: {BACKLOG_TICKETS} backlog tickets and {SPRINT_TICKETS} in the active sprint "
        f"in {time.perf_counter() - started:.1f} s"
    )
    try:
        run(project, sprint, user)
    finally:
        Ticket.objects.filter(project=project).delete()
        project.delete()
        user.delete()
        print(f"cleaned up {project.key}")


if __name__ == "__main__":
    main()

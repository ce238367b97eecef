"""Project archive benchmark: export a seeded project, import the archive under a new key.

Plain Python, no test runner. It seeds its own project (a fresh key, deleted at the end with
its copy) on the database of DATABASE_URL: TICKETS tickets, each with three history lines
and a comment mentioning another ticket, a few docs with two revisions each. It reports the
export's time, queries and size, and the import's (project_import in this process, as the
Celery task runs it), with the load average.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub_bench .venv/bin/python bench/project_archive.py 2000
"""

import io
import secrets
import string
import sys
import time

from harness import CountQueries, load_average, setup_django

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from docs_hub import services as docs_services  # noqa: E402
from integrations.archive import archive_open, project_export, project_import  # noqa: E402
from projects import services  # noqa: E402
from projects.models import Comment, Project, Ticket, TicketEvent  # noqa: E402

TICKETS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000


def seed(user, key: str) -> Project:
    project = services.project_create(creator=user, key=key, name="Archive bench")
    todo, now = project.statuses.get(slug="todo"), timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            project=project,
            number=n,
            key=f"{key}-{n}",
            title=f"Ticket {n}",
            description=f"Some **Markdown** for ticket {n}, after {key}-{max(n - 1, 1)}.\n\n- one\n- two",
            status=todo,
            rank=n * 1000,
            created_at=now,
        )
        for n in range(1, TICKETS + 1)
    )
    Project.objects.filter(pk=project.pk).update(ticket_counter=TICKETS)
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket=t, actor=user, kind="created") for t in tickets for _ in range(3)
    )
    Comment.objects.bulk_create(Comment(ticket=t, author=user, body=f"Looked at {t.key} again") for t in tickets)
    for i in range(10):
        doc = docs_services.doc_create(project=project, author=user, title=f"Page {i}", body=f"About {key}-{i + 1}")
        docs_services.doc_update(
            doc=doc, author=user, title=doc.title, body=doc.body + "\n\nMore.", version=doc.version
        )
    project.refresh_from_db()
    return project


def main() -> None:
    suffix = "".join(secrets.choice(string.ascii_uppercase) for _ in range(5))
    user, _ = get_user_model().objects.get_or_create(username="archive-bench", defaults={"email": "ab@example.com"})
    project = seed(user, f"AB{suffix}")
    copy = None
    try:
        started = time.perf_counter()
        with CountQueries() as export_queries:
            archive = project_export(project)
        export_s = time.perf_counter() - started
        data, zipped = archive_open(io.BytesIO(archive))
        started = time.perf_counter()
        with CountQueries() as import_queries:
            copy, summary = project_import(data=data, archive=zipped, key=f"AC{suffix}", user=user)
        import_s = time.perf_counter() - started
        print(f"{TICKETS} tickets, {summary['objects']} objects; {load_average()}")
        print(f"export: {export_s:.2f} s, {len(export_queries)} queries, {len(archive) / 1024:.0f} KiB zip")
        print(f"import: {import_s:.2f} s, {len(import_queries)} queries")
    finally:
        for done in (project, copy):
            if done is not None:
                services.project_delete(project=done)


if __name__ == "__main__":
    main()

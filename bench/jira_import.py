"""Jira CSV import benchmark (issue 14, item 3: 10,000 rows in under a minute).

Plain Python, no test runner. Writes a realistic 10,000-row Jira export into a temporary
directory (the real header layout: repeated Labels, Component/s, Sprint and Comment columns,
quoted multi-line descriptions in Jira wiki markup, 0-3 comments per issue, epics linked by
"Custom field (Epic Link)" and by "Parent", sub-tasks, 40 sprints, story points, unknown
custom fields), then imports it through the service the Celery task calls
(integrations.jira_import.jira_apply) into a fresh project on the database of DATABASE_URL,
and imports the same file again (nothing to create, nothing to update). Prints rows/s, the
seconds of each phase and the machine's load average. The project is deleted at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub_bench .venv/bin/python bench/jira_import.py [--rows 10000]
"""

import argparse
import csv
import datetime
import os
import random
import secrets
import string
import tempfile
import time
from pathlib import Path

from harness import setup_django

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from integrations import jira_import  # noqa: E402
from integrations.jira_csv import parse_jira_csv  # noqa: E402
from projects import services  # noqa: E402
from projects.models import Comment, Project, Role, Ticket  # noqa: E402

HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name", "Priority",
    "Resolution", "Assignee", "Reporter", "Creator", "Created", "Updated", "Last Viewed", "Resolved",
    "Fix Version/s", "Component/s", "Component/s", "Due Date", "Votes", "Labels", "Labels", "Labels",
    "Description", "Environment", "Watchers", "Watchers", "Original Estimate", "Attachment",
    "Custom field (Epic Link)", "Custom field (Epic Name)", "Custom field (Rank)", "Custom field (Story Points)",
    "Custom field (Team)", "Custom field (Model version)", "Sprint", "Sprint", "Parent", "Parent summary",
    "Status Category", "Comment", "Comment", "Comment",
]  # fmt: skip
STATUSES = [("To Do", "To Do"), ("In Progress", "In Progress"), ("Code Review", "In Progress"), ("Done", "Done")]
PRIORITIES = ["Highest", "High", "Medium", "Medium", "Low", "Lowest"]
WORDS = [
    "data",
    "pipeline",
    "model",
    "training",
    "evaluation",
    "feature",
    "store",
    "drift",
    "latency",
    "gpu",
    "batch",
    "inference",
    "schema",
    "label",
    "vendor",
    "backfill",
    "shard",
    "checkpoint",
    "tokenizer",
    "embedding",
    "retrain",
    "dashboard",
    "canary",
    "rollout",
    "metric",
]
DESCRIPTIONS = [
    "As a {w0} engineer I want the {w1} to skip corrupt {w2} files.\n\nh3. Acceptance criteria\n"
    "# Corrupt files are logged\n# The run finishes with a warning\n# Counter {{{{skipped_{w3}}}}}",
    "Steps to reproduce:\n# Run {{{{train.py --{w0}}}}}\n# Wait for epoch {n}\n\n{{code:python}}\n"
    "loss = criterion(out, y)\nprint(loss)  # nan\n{{code}}\n\nSee [the run|https://mlflow.example.com/runs/{n}].",
    "The {w0} {w1} is slower than the budget since v2.{n}; p95 went from 70 to {n}0 ms.",
    "",
    "",
    'Context: the {w0} vendor sends CSVs with ; and "quoted" fields.\n{{noformat}}\nid;{w1};"a, b"\n{{noformat}}',
]
COMMENTS = [
    "Started on this, first results tomorrow.",
    "Blocked by the {w0} change; pinged @ops.",
    "Reviewed: looks good, one nit about {w1} logging; see PR #{n}.",
    "Numbers after the fix:\n- AUC 0.91 -> 0.92\n- p95 {n} ms",
]
PEOPLE = ["Ana Souza", "marek.nowak@example.com", "j.kowalski", "Zoë Müller", "Unknown Contractor"]


def backend_cpu() -> float:
    """CPU seconds (user + system) the database backend of this connection has used (Linux,
    a local PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def jira_date(moment: datetime.datetime) -> str:
    return moment.strftime("%d/%b/%y %I:%M %p")


def generate(path: Path, rows: int, rng: random.Random) -> None:
    epics = max(rows // 50, 1)
    base = datetime.datetime(2023, 1, 2, 9, 0)
    lines = []
    for number in range(1, rows + 1):
        words = {f"w{i}": rng.choice(WORDS) for i in range(4)}
        n = rng.randint(2, 999)
        created = base + datetime.timedelta(minutes=53 * number)
        status, category = rng.choice(STATUSES)
        epic_link = parent = parent_summary = ""
        if number <= epics:
            kind, summary = "Epic", f"Epic {number}: {words['w0']} {words['w1']}"
        elif rng.random() < 0.12:
            kind, summary = "Sub-task", f"Tests for ML-{number - 1}"
            parent, parent_summary = str(10000 + number - 1), "(parent)"
        else:
            kind = rng.choice(["Story", "Story", "Task", "Bug"])
            summary = f"{words['w0'].capitalize()} {words['w1']} for the {words['w2']} ({number})"
            if rng.random() < 0.5:
                epic_link = f"ML-{rng.randint(1, epics)}"
            else:
                epic = rng.randint(1, epics)
                parent, parent_summary = str(10000 + epic), f"Epic {epic}"
        sprint_no = min(40, 1 + number * 40 // rows)
        sprints = [] if kind == "Epic" else [f"ML Sprint {sprint_no}"]
        if sprints and rng.random() < 0.2 and sprint_no < 40:
            sprints.append(f"ML Sprint {sprint_no + 1}")
        comments = [
            f"{jira_date(created + datetime.timedelta(hours=3 + 5 * c))};{rng.choice(PEOPLE)};"
            + rng.choice(COMMENTS).format(n=n, **words)
            for c in range(rng.choice([0, 0, 1, 1, 2, 3]))
        ]
        labels = rng.sample(["ml", "gpu", "perf", "tech-debt", "data", "infra"], rng.randint(0, 3))
        row = [
            summary, f"ML-{number}", str(10000 + number), kind, status, "ML", "Machine Learning",
            rng.choice(PRIORITIES), "Done" if category == "Done" else "", rng.choice([*PEOPLE, ""]),
            rng.choice(PEOPLE), rng.choice(PEOPLE), jira_date(created),
            jira_date(created + datetime.timedelta(days=3)), "",
            jira_date(created + datetime.timedelta(days=5)) if category == "Done" else "",
            "v2.3" if category == "Done" else "", rng.choice(["Data", "Serving", ""]), "",
            "", "0", *([*labels, "", "", ""])[:3], rng.choice(DESCRIPTIONS).format(n=n, **words),
            "CUDA 12.2\nDriver 535" if kind == "Bug" else "", "j.kowalski", "", "28800", "",
            epic_link, summary if kind == "Epic" else "", f"0|i{number:06d}:",
            "" if kind in ("Epic", "Sub-task") else rng.choice(["1", "2", "3", "5", "8", "13"]),
            rng.choice(["Data Platform", "Serving", "Ranking", ""]), f"v2.{n % 5}" if n % 3 == 0 else "",
            *([*sprints, "", ""])[:2], parent, parent_summary, category, *([*comments, "", "", ""])[:3],
        ]  # fmt: skip
        lines.append(row)
    lines.reverse()  # newest first, as Jira exports: children before their epics
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    suffix = secrets.token_hex(3)
    admin = User.objects.create_user(username=f"bench-{suffix}", password=secrets.token_hex(8))
    key = "JB" + "".join(random.choices(string.ascii_uppercase, k=5))
    project = services.project_create(creator=admin, key=key, name=f"Jira import bench {key}")
    people = [
        User.objects.create_user(username=f"ana-{suffix}", display_name="Ana Souza"),
        User.objects.create_user(username=f"marek-{suffix}", email="marek.nowak@example.com"),
        User.objects.create_user(username=f"zoe-{suffix}", display_name="Zoë Müller"),
    ]
    for person in people:
        services.membership_add(project=project, user=person, role=Role.MEMBER, added_by=admin)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), project {key}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "jira.csv"
            generate(path, args.rows, random.Random(args.seed))
            data = path.read_bytes()
            print(f"file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB")
            options = jira_import.jira_options_clean()

            started = time.perf_counter()
            jira = parse_jira_csv(data)
            parsed = time.perf_counter() - started
            preview = jira_import.jira_preview(project=project, jira=jira, options=options)
            previewed = time.perf_counter() - started - parsed
            print(f"parse {parsed:.2f} s, preview {previewed:.2f} s ({preview['tickets']:,} tickets)")

            # As the task does: read the file, then write it (both timed).
            started = time.perf_counter()
            cpu, db_cpu = time.process_time(), backend_cpu()
            result = jira_import.jira_apply(project=project, jira=parse_jira_csv(data), options=options, actor=admin)
            first = time.perf_counter() - started
            first_cpu = time.process_time() - cpu
            first_db_cpu = backend_cpu() - db_cpu
            tickets = Ticket.objects.filter(project=project).count()
            comments = Comment.objects.filter(ticket__project=project).count()
            print(
                f"import (parse and write): {first:.1f} s ({args.rows / first:,.0f} rows/s; {first_cpu:.1f} s CPU in "
                f"this process, {first_db_cpu:.1f} s in the database backend), "
                f"{result['created']:,} created, {tickets:,} tickets, {comments:,} comments, "
                f"{result['parents_linked']:,} parents, {result['sprints_created']} sprints"
            )

            started = time.perf_counter()
            again = jira_import.jira_apply(project=project, jira=parse_jira_csv(data), options=options, actor=admin)
            second = time.perf_counter() - started
            print(
                f"re-import of the same file: {second:.1f} s ({args.rows / second:,.0f} rows/s), "
                f"{again['created']} created, {again['updated']} updated, {again['comments']} comments added"
            )
            assert again["created"] == again["updated"] == again["comments"] == 0
            assert Ticket.objects.filter(project=project).count() == tickets
            load = os.getloadavg()
            print(f"total seconds: {first:.1f}; load average {load[0]:.1f} {load[1]:.1f} on {os.cpu_count()} cores")
            print(f"target: {args.rows:,} rows in < 60 s: {'met' if first < 60 else 'MISSED'}")
    finally:
        Ticket.objects.filter(project=project).delete()  # statuses are protected while tickets use them
        Project.objects.filter(pk=project.pk).delete()
        User.objects.filter(username__endswith=suffix).delete()


if __name__ == "__main__":
    main()

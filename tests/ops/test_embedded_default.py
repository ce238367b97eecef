"""The embedded default (no settings at all: SQLite in the data folder, tasks run eagerly)
is what `make run` serves, so every migration must apply there and every page must open
there too. CI's suite runs on PostgreSQL and would not notice SQL that only PostgreSQL
accepts: an index with NULLS LAST once broke `make run`'s migrate on a fresh machine, and
an ordered UNION made the sprint page and dashboard answer 500 on SQLite."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# `make run`'s demo workspace on the embedded default, then every page of its project
# opened as the demo user: any answer of 500 or more is listed.
CRAWL = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from projects.models import Project
from tests.browser.crawl import project_urls
call_command("migrate", "--noinput", verbosity=0)
call_command("seed_demo", verbosity=0)
project = Project.objects.get(key="CV")
client = Client(SERVER_NAME="127.0.0.1")
client.force_login(project.memberships.get(user__username="demo").user)
urls = project_urls(project)
failed = [(url, client.get(url).status_code) for url in urls]
failed = [(url, status) for url, status in failed if status >= 500]
print("pages", len(urls), "failed", failed)
"""


def manage(*args, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["AIHUB_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_migration_applies_and_reverses_on_the_embedded_sqlite(tmp_path):
    applied = manage("migrate", "--noinput", data_dir=tmp_path)
    assert applied.returncode == 0, applied.stderr[-2000:]
    assert (tmp_path / "aihub.sqlite3").exists()
    shown = manage("showmigrations", "--plan", data_dir=tmp_path)
    assert shown.returncode == 0 and "[ ]" not in shown.stdout
    # Back to before the apps' own migrations and forward again: each one reverses cleanly.
    for app in ("docs_hub", "experiments", "projects"):
        reversed_ = manage("migrate", app, "zero", "--noinput", data_dir=tmp_path)
        assert reversed_.returncode == 0, (app, reversed_.stderr[-2000:])
    again = manage("migrate", "--noinput", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]


def test_every_page_of_the_demo_workspace_opens_on_the_embedded_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MLFLOW_TRACKING_URI")}
    env.update(AIHUB_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="aihub.settings", PYTHONPATH=str(ROOT))
    crawl = subprocess.run(
        [sys.executable, "-c", CRAWL], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    summary = crawl.stdout.strip().splitlines()[-1]
    pages = int(summary.split()[1])
    assert pages > 30 and summary.endswith("failed []"), summary

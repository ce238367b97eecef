"""The embedded default (no settings at all: SQLite in the data folder, tasks run eagerly)
is what `make run` serves, so every migration must apply there too. CI's suite runs on
PostgreSQL and would not notice a migration that only PostgreSQL accepts (an index with
NULLS LAST once broke `make run` on a fresh machine this way)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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

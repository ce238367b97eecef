"""What the benchmark scripts share: production-like settings, query counting and timing.

Import it before Django: `from harness import setup_django; setup_django()`."""

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_environment(*, allowed_hosts: str = "testserver") -> None:
    """Production-like settings (no DEBUG: no query log, cached templates; no HTTPS redirect
    nor secure-only cookies over plain loopback HTTP) unless the environment sets them. The
    HTTP benchmarks share them with their server (http_harness.prepare_environment)."""
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("ALLOWED_HOSTS", allowed_hosts)
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def setup_django() -> None:
    """Django on the database of DATABASE_URL with production_environment(), and static
    files unhashed so no collectstatic run is needed in this process."""
    sys.path.insert(0, str(ROOT))
    production_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # As the WSGI entry point does for every web worker (aihub/wsgi.py).
    from aihub.runtime import freeze_startup_heap

    freeze_startup_heap()


class CountQueries:
    """Counts SQL statements sent while active (works with DEBUG off)."""

    def __enter__(self):
        from django.db import connection

        self.count = 0
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __len__(self):
        return self.count


CPU_MS: dict[int, list[float]] = {}  # id(samples) -> this process's CPU time per call


def timed(fn, rounds: int, warmup: int = 5) -> list[float]:
    """Wall-clock milliseconds per call; the CPU time this process spent (Django's share,
    without waiting for the database or for other processes) is kept in CPU_MS."""
    for _ in range(warmup):
        fn()
    samples, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    CPU_MS[id(samples)] = cpu
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min) on {os.cpu_count()} cores"

"""A real Celery worker subprocess that a fault test can kill with SIGKILL by its pid and
start again on the same queue (tests/fixtures.py's `celery_worker_process` only stops its
worker at the end)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures import ROOT, _database_url_for


class WorkerProcess:
    def __init__(self, *, queue: str, log_dir: Path, env: dict):
        from django.conf import settings
        from django.db import connection

        self.queue = queue
        self.name = f"{queue}@{os.uname().nodename}"
        self.log_dir = Path(log_dir)
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url_for(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "AIHUB_DATA_DIR": str(settings.DATA_DIR),
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"worker-{self.starts}.log"

    def start(self, timeout: float = 60) -> "WorkerProcess":
        from aihub.celery import app

        self.starts += 1
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "aihub",
                    "worker",
                    "--pool=solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{self.queue}@%h",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited: {self.log_path.read_text()[-2000:]}")
            if app.control.ping(destination=[self.name], timeout=0.5):
                return self
        raise RuntimeError(f"celery worker did not answer ping within {timeout:.0f} s")

    def kill9(self) -> None:
        """`kill -9 <pid>`: no shutdown, no ack, no cleanup."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def logs(self) -> str:
        return "\n".join((self.log_dir / f"worker-{n}.log").read_text()[-3000:] for n in range(1, self.starts + 1))

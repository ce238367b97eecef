"""A real `mlflow server` for tests and benchmarks: SQLite backend, loopback, one worker,
no job runner. Started once per test session (it takes 13-27 s to answer /health)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MlflowServer:
    def __init__(self, root: Path, port: int | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.backend_uri = f"sqlite:///{self.root / 'mlflow.db'}"
        self.artifacts = self.root / "artifacts"
        self.process = None
        self.log_path = self.root / "server.log"

    def env(self) -> dict:
        return {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true"}

    def start(self, timeout: float = 120) -> "MlflowServer":
        mlflow_bin = Path(sys.executable).with_name("mlflow")
        with open(self.log_path, "w") as log:  # the server writes to its own copy of the file
            self.process = subprocess.Popen(
                [
                    str(mlflow_bin),
                    "server",
                    "--backend-store-uri",
                    self.backend_uri,
                    "--default-artifact-root",
                    str(self.artifacts),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.root,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer /health within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)

    def gc(self, *run_ids: str) -> None:
        """`mlflow gc` against the server's backend store: purge these deleted runs."""
        mlflow_bin = Path(sys.executable).with_name("mlflow")
        done = subprocess.run(
            [
                str(mlflow_bin),
                "gc",
                "--backend-store-uri",
                self.backend_uri,
                "--tracking-uri",
                self.url,
                "--run-ids",
                ",".join(run_ids),
            ],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"mlflow gc failed: {done.stderr[-2000:]}")

"""What the HTTP benchmarks share: a gunicorn started on a free loopback port with
production settings, and requests over a fresh connection each (as a browser opening a
page, and as the Taiga comparison measured).

Import it before Django, like harness.py:

    from http_harness import Gunicorn, prepare_environment
    prepare_environment()           # production-like settings shared with the server
    from harness import setup_django; setup_django()

The server runs with DEBUG=false on the database of DATABASE_URL (PostgreSQL), static files
collected into a temporary STATIC_ROOT (as the image's build does) and a random SECRET_KEY
that this process shares, so a session made here (Client.force_login) signs in over HTTP.
The API throttle is lifted for the run (API_THROTTLE_USER): a benchmark sends thousands of
requests a minute with one token."""

import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, production_environment
from harness import load_average as load_average  # re-exported: the HTTP scripts print it

_STATIC_ROOT = Path(tempfile.gettempdir()) / "aihub-bench-static"


def prepare_environment() -> None:
    """Settings both this process and the server read (harness.production_environment, plus
    what serving over loopback needs); call before setup_django(), after importing harness.
    bench/ leaves the import path, so a script here never shadows an installed package."""
    bench = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != bench]
    production_environment(allowed_hosts="127.0.0.1,localhost,testserver")
    os.environ.setdefault("API_THROTTLE_USER", "1000000/min")
    os.environ.setdefault("CACHE_KEY_PREFIX", f"bench-{secrets.token_hex(4)}")
    os.environ.setdefault("STATIC_ROOT", str(_STATIC_ROOT))
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (postgres://postgres@127.0.0.1:5432/aihub_bench).")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving aihub.wsgi on 127.0.0.1:<free port>; stopped by its own pid."""

    def __init__(self, *, workers: int = 2, threads: int = 1, log: Path | None = None):
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or Path(tempfile.gettempdir()) / f"aihub-bench-gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def description(self) -> str:
        kind = f"gthread, {self.threads} threads each" if self.threads > 1 else "sync"
        return f"gunicorn {self.workers} workers ({kind}) on {self.url}, DEBUG=false"

    def __enter__(self) -> "Gunicorn":
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if not getattr(Gunicorn, "_collected", False):  # once a run, as the image's build does
            Gunicorn._collected = True
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT,
                env={**env, "AIHUB_BUILD_ONLY": "true"},
                check=True,
            )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "aihub.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--no-control-socket",
            "--error-logfile",
            str(self.log),
        ]
        if self.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(self.threads)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                if get(self.port, "/healthz").status == 200:
                    # Every worker imports the app lazily: warm them all up.
                    for _ in range(self.workers * 4):
                        get(self.port, "/healthz")
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer /healthz within 120 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def remove_collected_static() -> None:
    shutil.rmtree(_STATIC_ROOT, ignore_errors=True)


class Answer:
    __slots__ = ("body", "headers", "ms", "status")

    def __init__(self, status, headers, body, ms):
        self.status, self.headers, self.body, self.ms = status, headers, body, ms


def request(
    port: int, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None, timeout: float = 60
) -> Answer:
    """One request over a fresh TCP connection (connect, send, read all, close), timed."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, dict(response.getheaders()), data, (time.perf_counter() - start) * 1000)
    finally:
        connection.close()


def get(port: int, path: str, **kwargs) -> Answer:
    return request(port, "GET", path, **kwargs)

"""The app started as production starts it, used over HTTP only.

What runs here is what the image runs (Dockerfile, docker-entrypoint.sh, docker-compose.yml):
the Dockerfile's own collectstatic step into a temporary STATIC_ROOT, then
`docker-entrypoint.sh web` (migrate, gunicorn with 2 workers) twice on two loopback ports,
`docker-entrypoint.sh worker` and `docker-entrypoint.sh beat` on Redis, all with DEBUG=false,
a generated SECRET_KEY and a PostgreSQL database created for this test; a real `mlflow server`
holds runs logged by the real MLflow client. A user signs in through the login form and opens
every page (and every link and htmx fragment those pages show); nothing may answer 500."""

import html
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from django.conf import settings

from tests.experiments.mlflow_server import MlflowServer, free_port
from tests.fixtures import ROOT, _database_url_for
from tests.services import missing, require_postgres, require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker, pytest.mark.mlflow_server]

ENTRYPOINT = ROOT / "docker-entrypoint.sh"
SERVER_ERROR = re.compile(r'" (5\d\d) ')  # gunicorn's access log: "GET /path HTTP/1.1" 500 ...
PASSWORD = secrets.token_urlsafe(24)
USERNAME = "smoke-admin"
KEY = "SMK"


class Stack:
    """The processes of one production start, their logs and how to reach them."""

    def __init__(self, root: Path):
        self.root = root
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.logs: dict[str, Path] = {}
        self.web_urls: list[str] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log_path = self.root / f"{name}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append((name, process))
        self.logs[name] = log_path
        return process

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


def _run(args: list[str], env: dict, timeout: float = 300) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _dockerfile_collectstatic() -> str:
    """The Dockerfile's own collectstatic step, run here as the image build runs it."""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("RUN ") and "collectstatic" in line:
            return line.removeprefix("RUN ").strip()
    raise AssertionError("the Dockerfile has no collectstatic step")


def _create_database(name: str) -> dict:
    import psycopg

    db = dict(settings.DATABASES["default"])
    admin = psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return {**db, "NAME": name}


def _drop_database(db: dict) -> None:
    import psycopg

    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_postgres()
    require_redis()
    root = tmp_path_factory.mktemp("production")
    tag = uuid.uuid4().hex[:8]
    database = _create_database(f"aihub_smoke_{tag}")

    # The MLflow server takes 13-27 s to answer: start it while the app is prepared.
    mlflow = MlflowServer(root / "mlflow")
    mlflow_error: list[BaseException] = []

    def start_mlflow():
        try:
            mlflow.start(timeout=300)  # 13-27 s alone; minutes on a loaded machine
        except BaseException as error:  # reported below, from the test's thread
            mlflow_error.append(error)

    mlflow_thread = threading.Thread(target=start_mlflow)
    mlflow_thread.start()

    ports = [free_port(), free_port()]
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DJANGO_SETTINGS_MODULE",
        "CELERY_QUEUE",
        "CACHE_KEY_PREFIX",
        "STATIC_ROOT",
        "MEDIA_ROOT",
        "DOCS_ATTACHMENT_ROOT",
    }
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PYTEST")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=",".join(f"http://127.0.0.1:{port}" for port in ports),
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        DATABASE_URL=_database_url_for(database),
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=f"smoke-{tag}",
        CELERY_QUEUE=f"smoke-{tag}",  # this stack's own queue on the shared Redis
        AIHUB_DATA_DIR=str(root / "data"),
        STATIC_ROOT=str(root / "static"),
        MLFLOW_TRACKING_URI=mlflow.url,
        AIHUB_OUTBOUND_ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
        CELERY_CONCURRENCY="1",
        LOG_LEVEL="INFO",
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    stack = Stack(root)
    stack.env = env
    stack.mlflow = mlflow
    try:
        _run(["sh", "-c", _dockerfile_collectstatic()], env)
        for number, port in enumerate(ports, start=1):
            # The first start migrates the new database; the second finds nothing to do.
            web = stack.start(
                f"web{number}", [str(ENTRYPOINT), "web", "--no-control-socket"], {**env, "BIND": f"127.0.0.1:{port}"}
            )
            _wait_for(f"http://127.0.0.1:{port}/readyz", web, stack.logs[f"web{number}"])
            stack.web_urls.append(f"http://127.0.0.1:{port}")
        stack.start(
            "worker", [str(ENTRYPOINT), "worker", "-n", f"smoke-{tag}@%h", "--without-gossip", "--without-mingle"], env
        )
        stack.start("beat", [str(ENTRYPOINT), "beat"], env)
        _run(
            [
                sys.executable,
                "manage.py",
                "createsuperuser",
                "--noinput",
                "--username",
                USERNAME,
                "--email",
                "smoke@example.com",
            ],
            {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        )
        stack.token = (
            _run([sys.executable, "manage.py", "create_api_token", USERNAME, "--name", "smoke"], env)
            .strip()
            .splitlines()[-1]
        )
        mlflow_thread.join()
        if mlflow_error:
            missing("an MLflow tracking server (`mlflow server`)", f"it could not start: {mlflow_error[0]}")
        yield stack
    finally:
        mlflow_thread.join()
        stack.stop()
        mlflow.stop()
        _drop_database(database)
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(f"smoke-{tag}")  # beat may have queued a dispatch nobody consumes now
        for cache_key in client.scan_iter(f"smoke-{tag}:*"):
            client.delete(cache_key)


def _api(stack, method: str, path: str, base: int = 0, **kwargs) -> requests.Response:
    return requests.request(
        method, stack.web_urls[base] + path, timeout=60, headers={"Authorization": f"Bearer {stack.token}"}, **kwargs
    )


def _seed(stack) -> dict:
    """Content a team has after a week, made through the API as an integration would."""
    made = _api(stack, "POST", "/api/v1/projects/", json={"key": KEY, "name": "Smoke", "template": "ml-model"})
    assert made.status_code == 201, made.text
    ticket = _api(
        stack,
        "POST",
        f"/api/v1/projects/{KEY}/tickets/",
        json={"title": "Beat the baseline", "type": "experiment", "estimate": 3},
    )
    assert ticket.status_code == 201, ticket.text
    ticket_key = ticket.json()["key"]
    assert (
        _api(
            stack,
            "POST",
            f"/api/v1/tickets/{ticket_key}/comments/",
            json={"body": "Trying **gradient boosting** next."},
        ).status_code
        == 201
    )
    today = date.today()
    sprint = _api(
        stack,
        "POST",
        f"/api/v1/projects/{KEY}/sprints/",
        json={"name": "Sprint 1", "start_date": str(today), "end_date": str(today + timedelta(days=13))},
    )
    assert sprint.status_code == 201, sprint.text
    sprint_id = sprint.json()["id"]
    assert _api(stack, "PATCH", f"/api/v1/tickets/{ticket_key}/", json={"sprint": sprint_id}).status_code == 200
    assert _api(stack, "POST", f"/api/v1/sprints/{sprint_id}/start/").status_code == 200
    doc = _api(
        stack,
        "POST",
        f"/api/v1/projects/{KEY}/docs/",
        json={"title": "Model card", "body": f"# Model card\n\nTracked in {ticket_key}."},
    )
    assert doc.status_code == 201, doc.text
    slug = doc.json()["slug"]
    edited = _api(
        stack,
        "PATCH",
        f"/api/v1/projects/{KEY}/docs/{slug}/",
        json={"body": f"# Model card\n\nTracked in {ticket_key}. Accuracy 0.93."},
    )
    assert edited.status_code == 200, edited.text
    return {"ticket": ticket_key, "sprint": sprint_id, "doc": slug}


def _log_runs(stack, ticket_key: str) -> set[str]:
    from mlflow import MlflowClient

    from tests.experiments.mlflow_logging import log_run

    client = MlflowClient(tracking_uri=stack.mlflow.url, registry_uri=stack.mlflow.url)
    experiment_id = client.create_experiment("smoke-churn")
    return {
        log_run(
            client,
            experiment_id,
            name=f"gbm-{depth}",
            params={"max_depth": depth},
            metrics={"accuracy": [0.80, 0.85 + depth / 100], "loss": [0.5, 0.3]},
            tags={"aihub.ticket": ticket_key} if depth == 3 else {},
        )
        for depth in (3, 5, 7)
    }


def _sign_in(base: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=30)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signed_in = session.post(
        f"{base}/accounts/login/",
        timeout=30,
        allow_redirects=False,
        data={"csrfmiddlewaretoken": token, "username": USERNAME, "password": PASSWORD},
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]
    assert session.get(f"{base}{signed_in.headers['Location']}", timeout=30).status_code == 200
    return session


LINK = re.compile(r'\b(href|hx-get)="(/[^"#]*)"')
NOT_FOLLOWED = ("/static/", "/media/", "/accounts/logout", "/admin/logout")


def _links(page: str) -> set[tuple[str, str]]:
    found = set()
    for kind, url in LINK.findall(page):
        url = html.unescape(url)
        if not url.startswith("//") and not url.startswith(NOT_FOLLOWED):
            found.add((kind, url))
    return found


def test_production_stack_serves_every_page_syncs_mlflow_and_shares_live_state(stack):
    seeded = _seed(stack)
    run_ids = _log_runs(stack, seeded["ticket"])
    web1, web2 = stack.web_urls
    session = _sign_in(web1)

    # An MLflow source, synced by the worker (not in the web process).
    source = _api(
        stack,
        "POST",
        f"/api/v1/projects/{KEY}/mlflow-sources/",
        json={"tracking_uri": stack.mlflow.url, "experiment_names": ["smoke-churn"]},
    )
    assert source.status_code == 201, source.text
    source_id = source.json()["id"]
    assert _api(stack, "POST", f"/api/v1/mlflow-sources/{source_id}/sync/").status_code == 202
    deadline = time.monotonic() + 150
    last_sync = None
    while time.monotonic() < deadline:
        last_sync = _api(stack, "GET", f"/api/v1/mlflow-sources/{source_id}/").json()["last_sync"]
        if last_sync and last_sync["status"] not in ("queued", "running"):
            break
        time.sleep(0.5)
    assert last_sync and last_sync["status"] == "ok", (last_sync, stack.log("worker")[-3000:])
    runs = _api(stack, "GET", f"/api/v1/projects/{KEY}/runs/").json()["results"]
    assert {run["run_id"] for run in runs} == run_ids
    assert "experiments.tasks" in stack.log("worker") and "succeeded" in stack.log("worker")
    linked = _api(stack, "GET", f"/api/v1/projects/{KEY}/runs/?ticket={seeded['ticket']}").json()["results"]
    assert len(linked) == 1

    # Every page a user reaches, then every link and htmx fragment on those pages.
    experiments = session.get(f"{web1}/projects/{KEY}/experiments/", timeout=60)
    experiment_page = re.search(rf"/projects/{KEY}/experiments/e/\d+/", experiments.text)
    assert experiment_page, "the experiments page links no experiment"
    a_run, other_run = sorted(run_ids)[:2]
    ticket, sprint, doc = seeded["ticket"], seeded["sprint"], seeded["doc"]
    pages = [
        "/projects/",
        f"/projects/{KEY}/",
        f"/projects/{KEY}/dashboard/",
        f"/projects/{KEY}/board/",
        f"/projects/{KEY}/backlog/",
        f"/projects/{KEY}/tickets/{ticket}/",
        f"/projects/{KEY}/sprints/",
        f"/projects/{KEY}/sprints/{sprint}/",
        f"/projects/{KEY}/docs/",
        f"/projects/{KEY}/docs/{doc}/",
        f"/projects/{KEY}/docs/{doc}/history/",
        f"/projects/{KEY}/docs/{doc}/diff/?from=1&to=2",
        f"/projects/{KEY}/experiments/",
        experiment_page.group(0),
        f"/projects/{KEY}/experiments/runs/{a_run}/",
        f"/projects/{KEY}/experiments/compare/?run={a_run}&run={other_run}",
        f"/projects/{KEY}/experiments/sources/",
        f"/projects/{KEY}/members/",
        f"/projects/{KEY}/settings/",
        "/search/?q=baseline",
        "/projects/notifications/",
        "/api/docs/",
        "/admin/",
    ]
    failures, seen, pages_html = [], set(), {}
    for path in pages:
        response = session.get(web1 + path, timeout=60)
        seen.add(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("Content-Type", ""):
            failures.append((path, response.status_code))
        pages_html[path] = response.text
    assert not failures, failures
    assert "Accuracy 0.93" in pages_html[f"/projects/{KEY}/docs/{doc}/diff/?from=1&to=2"]
    assert (
        "gbm-3" in pages_html[f"/projects/{KEY}/experiments/compare/?run={a_run}&run={other_run}"]
        or "gbm-5" in pages_html[f"/projects/{KEY}/experiments/compare/?run={a_run}&run={other_run}"]
    )

    followed = 0
    for path, page in pages_html.items():
        for kind, link in sorted(_links(page)):
            if link in seen:
                continue
            seen.add(link)
            headers = {"HX-Request": "true"} if kind == "hx-get" else {}
            response = session.get(web1 + link, headers=headers, timeout=60)
            followed += 1
            if response.status_code >= 400:
                failures.append((link, response.status_code, f"linked from {path}"))
    assert followed > 50
    assert not failures, failures

    # Static files: hashed names, far-future and immutable caching, compressed when asked.
    script = re.search(r'src="(/static/vendor/htmx-[\d.]+\.min\.[0-9a-f]{12}\.js)"', pages_html["/projects/"])
    assert script, "pages do not load htmx under a hashed name"
    compressed = requests.get(web1 + script.group(1), headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert compressed.status_code == 200 and compressed.headers.get("Content-Encoding") == "gzip"
    cache_control = compressed.headers["Cache-Control"]
    assert "immutable" in cache_control, cache_control
    assert int(re.search(r"max-age=(\d+)", cache_control).group(1)) >= 365 * 24 * 3600, cache_control
    assert "Accept-Encoding" in compressed.headers.get("Vary", "")
    plain = requests.get(web1 + script.group(1), headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.content.startswith(b"var htmx=")

    # A card moved through one gunicorn server shows in /live/ polled through the other.
    live = f"{web2}/projects/{KEY}/live/"
    etag = session.get(live, timeout=30).headers["ETag"]
    assert session.get(live, headers={"If-None-Match": etag}, timeout=30).status_code == 304
    moved = _api(stack, "POST", f"/api/v1/tickets/{ticket}/move/", base=0, json={"status": "in_progress"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress", moved.text
    changed = session.get(live, headers={"If-None-Match": etag}, timeout=30)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    board = session.get(f"{web2}/projects/{KEY}/board/", timeout=30)
    assert board.status_code == 200 and ticket in board.text

    # No server error anywhere, and every process still up.
    for name in ("web1", "web2"):
        log = stack.log(name)
        assert not SERVER_ERROR.search(log), SERVER_ERROR.search(log).group(0)
        assert "Internal Server Error" not in log and "Traceback" not in log, log[-4000:]
    for name, process in stack.processes:
        assert process.poll() is None, f"{name} exited:\n{stack.log(name)[-3000:]}"
    assert "Traceback" not in stack.log("worker"), stack.log("worker")[-4000:]
    assert "beat: Starting" in stack.log("beat") and "Traceback" not in stack.log("beat")


def test_compose_runs_the_same_commands_as_the_smoke_test():
    """docker-compose.yml starts each service with a docker-entrypoint.sh command this
    test runs, and the image's entry point is that script."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["web"]["command"] == ["web"]
    assert services["worker"]["command"] == ["worker"]
    assert services["beat"]["command"] == ["beat"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/app/docker-entrypoint.sh"]' in dockerfile and 'CMD ["web"]' in dockerfile
    assert os.access(ENTRYPOINT, os.X_OK)

"""Redis stopped and started again: pages, the API, sign-in and live polling keep answering
(live polling says "paused"), throttles count per process meanwhile, and once Redis is back
they count in Redis again and live updates resume. Each test runs its own redis-server."""

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.urls import reverse

from projects.models import Role
from tests.accounts.factories import UserFactory
from tests.fixtures import _database_url_for
from tests.ops.redis_server import free_port, redis_cache_settings
from tests.projects.factories import MembershipFactory
from tests.services import require_postgres

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "pass-w0rd-long"

pytestmark = pytest.mark.redis


def _wait_until(condition, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"still not {what} after {seconds} s")


@pytest.mark.django_db
def test_in_process_without_redis_everything_answers_and_comes_back(
    client, api, settings, private_redis, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = private_redis.url()
    settings.CACHES = redis_cache_settings(private_redis, "down")
    settings.AIHUB_LOGIN_FAILURES_PER_USERNAME = 3
    settings.AIHUB_FIGURES_CACHE_SECONDS = 30  # health and dashboard figures kept in Redis
    membership = MembershipFactory(role=Role.ADMIN)
    project, user = membership.project, membership.user
    token_client = api.as_user(user)
    client.force_login(user)
    live_url = reverse("projects:live", args=[project.key])
    assert client.get(live_url).has_header("ETag")

    private_redis.stop()

    assert token_client.get("/api/v1/projects/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        created = token_client.post(
            f"/api/v1/projects/{project.key}/tickets/", {"title": "Written while Redis is down"}
        )
    assert created.status_code == 201, created.content
    assert client.get(reverse("projects:board", args=[project.key])).status_code == 200
    for page in ("projects:hub", "projects:dashboard"):  # figures computed, not kept
        assert client.get(reverse(page, args=[project.key])).status_code == 200, page
    ticket_page = client.get(reverse("projects:ticket", args=[project.key, created.json()["key"]]))
    assert ticket_page.status_code == 200 and "Written while Redis is down" in ticket_page.content.decode()
    poll = client.get(live_url)
    assert poll.status_code == 200 and poll.json() == {"revision": None, "paused": True}
    assert client.get("/readyz").status_code == 503

    from django.test import Client

    assert Client().post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    # Sign-in limits still apply, counted in this process.
    guesser = Client()
    for _ in range(3):
        guesser.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert guesser.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 429

    private_redis.start()  # empty: a restarted Redis without persistence

    etag = _wait_until(lambda: client.get(live_url).get("ETag"), "live again")
    with django_capture_on_commit_callbacks(execute=True):
        token_client.post(f"/api/v1/projects/{project.key}/tickets/", {"title": "After the restart"})
    assert client.get(live_url, HTTP_IF_NONE_MATCH=etag).status_code == 200  # the change is announced
    assert client.get(reverse("projects:hub", args=[project.key])).status_code == 200
    assert any(b"kept:health" in key for key in private_redis.client().keys("*"))  # kept in Redis again
    token_client.get("/api/v1/projects/")
    assert any(b"ratelimit:user" in key for key in private_redis.client().keys("*"))  # counted in Redis again


# --- The same over HTTP: gunicorn with a real Celery broker, both on the private Redis ---


def _gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as log:  # gunicorn writes to its own copy of the file
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "aihub.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--no-control-socket",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30)
    response = session.post(
        f"{base}/accounts/login/",
        timeout=30,
        allow_redirects=False,
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
    )
    assert response.status_code == 302, response.text[-2000:]
    return session


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fault_redis_stopped_and_started_under_gunicorn(private_redis, tmp_path):
    require_postgres()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from accounts.services import api_token_create

    admin = MembershipFactory(role=Role.ADMIN)
    project, user = admin.project, admin.user
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())  # the server has no test-only hasher
    user.save(update_fields=["password"])
    _, raw = api_token_create(user=user, name="fault test")
    _, other_raw = api_token_create(user=UserFactory(), name="throttled")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in {"PROMETHEUS_MULTIPROC_DIR"}}
    env.update(
        DATABASE_URL=_database_url_for(connection.settings_dict),
        REDIS_URL=private_redis.url(),
        CACHE_KEY_PREFIX=f"fault-{uuid.uuid4().hex[:8]}",
        DEBUG="true",
        AIHUB_GC_FREEZE="false",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        API_THROTTLE_USER="20/min",
    )
    server = _gunicorn(env, port, tmp_path / "gunicorn.log")
    statuses = []

    def call(session, method, path, **kwargs):
        response = session.request(method, f"{base}{path}", timeout=30, allow_redirects=False, **kwargs)
        statuses.append((method, path, response.status_code))
        return response

    try:
        _wait_until(lambda: server.poll() is None and _answers(f"{base}/healthz"), "serving", 60)
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {raw}"
        page = _signed_in(base, user.username)
        live = f"/projects/{project.key}/live/"
        assert call(page, "GET", live).headers.get("ETag")

        private_redis.stop()

        assert call(api, "GET", "/api/v1/projects/").status_code == 200
        filed = call(api, "POST", f"/api/v1/projects/{project.key}/tickets/", json={"title": "Filed during the outage"})
        assert filed.status_code == 201
        ticket_page = call(page, "GET", f"/projects/{project.key}/tickets/{filed.json()['key']}/")
        assert ticket_page.status_code == 200 and "Filed during the outage" in ticket_page.text
        board = call(page, "GET", f"/projects/{project.key}/board/")
        assert board.status_code == 200
        assert 'data-etag=""' in board.text  # rendered while paused: the page refreshes when live resumes
        assert call(page, "GET", live).json() == {"revision": None, "paused": True}
        assert call(page, "GET", "/readyz").status_code == 503
        assert _signed_in(base, user.username)  # sign-in needs no Redis (sessions live in the database)
        # Inviting someone: the e-mail cannot be queued, so it is sent from the web process.
        members = f"/projects/{project.key}/members/"
        call(page, "GET", members)
        invited = call(
            page,
            "POST",
            members,
            data={
                "email": "during-outage@example.com",
                "role": "member",
                "csrfmiddlewaretoken": page.cookies["csrftoken"],
            },
        )
        assert invited.status_code == 302
        mail_dir = tmp_path / "mail"
        assert mail_dir.exists() and "during-outage@example.com" in "".join(p.read_text() for p in mail_dir.iterdir())

        private_redis.start()

        etag = _wait_until(lambda: call(page, "GET", live).headers.get("ETag"), "live again")
        call(api, "POST", f"/api/v1/projects/{project.key}/tickets/", json={"title": "After the restart"})
        assert call(page, "GET", live, headers={"If-None-Match": etag}).status_code == 200
        # The per-user limit counts in Redis again: 20 answers, then 429.
        throttled = requests.Session()
        throttled.headers["Authorization"] = f"Bearer {other_raw}"
        codes = [call(throttled, "GET", "/api/v1/projects/").status_code for _ in range(21)]
        assert codes == [200] * 20 + [429]
        assert any(re.search(rb"ratelimit:user", key) for key in private_redis.client().keys("*"))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    # /readyz alone says 503 (not ready) while Redis is down; nothing else may fail.
    assert not [s for s in statuses if s[2] >= 500 and s[1] != "/readyz"], (
        statuses,
        (tmp_path / "gunicorn.log").read_text()[-3000:],
    )


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False

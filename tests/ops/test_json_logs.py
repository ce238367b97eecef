"""LOG_FORMAT=json: one JSON object per line, with the request id, user, path, status and
duration of each request; every response says its request id."""

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.test import override_settings

from aihub.logs import JsonFormatter, RequestIdFilter
from tests.accounts.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent

REQUESTS_UNDER_JSON = """
import django
django.setup()
from django.test import Client
client = Client()
for path, request_id in [("/healthz", "trace-abc.123"), ("/no-such-page", None), ("/healthz", "bad id\\nx")]:
    headers = {"HTTP_HOST": "localhost"}
    if request_id:
        headers["HTTP_X_REQUEST_ID"] = request_id
    response = client.get(path, **headers)
    print("RESPONSE", path, response.status_code, response["X-Request-ID"], file=__import__("sys").stderr)
"""


def test_json_log_lines_from_a_real_process():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "LOG_REQUESTS"}}
    env.update(
        LOG_FORMAT="json",
        DEBUG="true",
        AIHUB_DATA_DIR=tempfile.mkdtemp(prefix="aihub-logs-"),
        DJANGO_SETTINGS_MODULE="aihub.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS_UNDER_JSON], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]  # every line is JSON
    responses = [line.split() for line in result.stderr.splitlines() if line.startswith("RESPONSE")]
    assert [r[2] for r in responses] == ["200", "404", "200"]

    requests = [line for line in lines if line["logger"] == "aihub.request"]
    assert len(requests) == 3
    first, missing, sanitized = requests
    assert first["request_id"] == "trace-abc.123" == responses[0][3]
    assert {"timestamp", "level", "logger", "message", "request_id", "user_id", "path", "status", "duration_ms"} <= set(
        first
    )
    assert first["path"] == "/healthz" and first["status"] == 200 and first["level"] == "INFO"
    assert first["user_id"] is None and first["duration_ms"] >= 0 and first["timestamp"].endswith("Z")
    # No header: a fresh id; a header that is not a sane token is replaced, never echoed.
    assert len(missing["request_id"]) == 32 and missing["request_id"] == responses[1][3]
    assert sanitized["request_id"] == responses[2][3] != "bad id\nx"
    # Django's own "Not Found" warning, logged during the request, carries the same id.
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == missing["request_id"]


@pytest.mark.django_db
@override_settings(LOG_REQUESTS=True)
def test_request_line_names_the_signed_in_user(client, caplog):
    user = UserFactory()
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="aihub.request"):
        response = client.get("/projects/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 200 and response["X-Request-ID"] == "req-42"
    [record] = [r for r in caplog.records if r.name == "aihub.request"]
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["user_id"] == user.pk and line["path"] == "/projects/" and line["status"] == 200
    assert line["request_id"] == "req-42" and line["message"] == "GET /projects/ 200"


@pytest.mark.django_db
def test_text_logs_stay_the_default_and_log_no_request_lines(client, caplog):
    with caplog.at_level(logging.INFO, logger="aihub.request"):
        response = client.get("/healthz")
    assert response["X-Request-ID"]
    assert not [r for r in caplog.records if r.name == "aihub.request"]


def test_a_traceback_stays_on_one_line():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord("aihub", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text and "ValueError" in json.loads(text)["exception"]

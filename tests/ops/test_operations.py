import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent.parent


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_ok_with_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_is_503_when_configured_redis_is_down(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "redis" in response.json()["checks"] and response.json()["status"] == "fail"


@pytest.mark.django_db
def test_metrics_are_prometheus_text(client):
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert "aihub_http_requests_total" in body and 'view="healthz"' in body


@pytest.mark.django_db
def test_openapi_schema_and_docs(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/projects/" in paths and "/api/v1/projects/{key}/members/" in paths
    assert client.get("/api/docs/").status_code == 200


def _production_env(**extra):
    dropped = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="false",
        SECRET_KEY="x" * 20 + "production-secret-key-for-deploy-check-0123456789",
        ALLOWED_HOSTS="aihub.example.com",
        CSRF_TRUSTED_ORIGINS="https://aihub.example.com",
        **extra,
    )
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # As the image is built: static files collected first (check --deploy requires them).
    env = _production_env(STATIC_ROOT=str(tmp_path / "static"))
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={**env, "AIHUB_BUILD_ONLY": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr[-3000:]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_compose_file_is_valid_and_defines_the_stack():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "web", "worker", "beat", "mlflow"} <= set(compose["services"])
    for name in ("postgres", "redis", "web", "mlflow"):
        assert "healthcheck" in compose["services"][name], name
    assert compose.get("volumes")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_schema_documents_the_contracts_error_answers(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    project_key = schema["components"]["schemas"]["ProjectCreateRequest"]["properties"]["key"]
    assert project_key["pattern"] == "^[A-Z][A-Z0-9]{1,9}$"
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert {"400", "401", "403", "404", "429"} <= set(operation["responses"]), (method, path)
    assert "409" in schema["paths"]["/api/v1/tickets/{ticket_key}/"]["patch"]["responses"]


@pytest.mark.django_db
def test_schema_marks_nullable_answers_and_list_shapes(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    components = schema["components"]["schemas"]
    for component, field in [
        ("Ticket", "assignee"),
        ("Ticket", "parent"),
        ("Doc", "parent"),
        ("Sprint", "committed_points"),
    ]:
        assert components[component]["properties"][field].get("nullable"), (component, field)
    runs = schema["paths"]["/api/v1/projects/{key}/runs/"]["get"]["responses"]["200"]
    assert runs["content"]["application/json"]["schema"]["$ref"].endswith("/PaginatedRunList")

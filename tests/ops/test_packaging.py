"""A non-editable install (what `uv pip install .` does in the image) carries every app."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_non_editable_install_holds_every_app_and_imports_the_user_model(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    packages = [path.name for path in ROOT.iterdir() if (path / "__init__.py").exists() and path.name != "tests"]
    for name in packages:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]

    local_apps = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()}
    assert local_apps <= set(packages)
    for app in sorted(local_apps):
        assert (target / app / "__init__.py").exists(), f"{app} is missing from the installed package"

    run = tmp_path / "run"
    run.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "PYTHONPATH"}}
    env.update(PYTHONPATH=str(target), DJANGO_SETTINGS_MODULE="aihub.settings", AIHUB_DATA_DIR=str(run / "data"))
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); import accounts.models as m; "
            "from django.contrib.auth import get_user_model; "
            "print(m.__file__); print(get_user_model().__name__)",
        ],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    module_file, user_model = imported.stdout.split()[-2:]
    assert Path(module_file).is_relative_to(target) and user_model == "User"

"""The demo workspace (`make demo`) for Chromium tests: CV and CHURN with sprints, docs and
MLflow runs trained into a local store and synced in-process. tests/browser/conftest.py offers
the fixtures `demo` and `demo_mlflow_store` to every browser test; `sign_in` signs a demo user in."""

import pytest
from django.core.management import call_command

from projects.models import Project

DEMO_PASSWORD = "aihub-demo"


@pytest.fixture(scope="session")
def demo_mlflow_store(tmp_path_factory):
    """One local MLflow store per session: the demo trains its models once."""
    return tmp_path_factory.mktemp("demo-mlflow-ui")


@pytest.fixture
def demo(settings, demo_mlflow_store):
    from aihub.celery import app

    settings.MLFLOW_TRACKING_URI = f"sqlite:///{demo_mlflow_store / 'mlflow.db'}"
    settings.MLFLOW_ARTIFACT_ROOT = str(demo_mlflow_store / "artifacts")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with open("/dev/null", "w") as devnull:
            call_command("seed_demo", stdout=devnull)
    finally:
        app.conf.task_always_eager = eager
    return Project.objects.get(key="CV")


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/projects/")

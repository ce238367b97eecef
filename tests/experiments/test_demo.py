"""The demo seeder trains real small models, logs them to the local MLflow store with
aihub.ticket tags, registers a champion, logs earlier runs (some failed) over the past sprints,
syncs and sets a met and an unmet target; a second run trains nothing more."""

import datetime

import pytest
from django.utils import timezone

from experiments.demo import HISTORY_RUNS, seed_demo_experiments
from experiments.models import MetricPoint, ModelVersion, Run, RunLink, SyncRecord, Target
from experiments.selectors import target_progress
from projects.models import Ticket
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_trains_logs_links_and_syncs_idempotently(settings, tmp_path):
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings.MLFLOW_ARTIFACT_ROOT = str(tmp_path / "artifacts")
    ProjectFactory(key="CV")
    demo = UserFactory(username="demo")

    seed_demo_experiments(demo)

    assert SyncRecord.objects.get().status == "ok"
    everything = Run.objects.filter(project__key="CV")
    history = everything.filter(tags__has_key="aihub.demo_history")  # the team's earlier runs, over the sprints
    assert history.count() == len(HISTORY_RUNS) and {run.status for run in history} == {"FINISHED", "FAILED"}
    assert sorted(run.start_time.date() for run in history)[0] < (timezone.now() - datetime.timedelta(days=30)).date()
    runs = everything.exclude(tags__has_key="aihub.demo_history")
    assert runs.count() == 6 and all(run.status == "FINISHED" for run in runs)
    assert {run.params["model"] for run in runs} == {"SGDClassifier", "GradientBoostingClassifier"}
    assert all(0.5 < run.metric_value("val_f1") <= 1.0 for run in runs)
    assert MetricPoint.objects.filter(run__in=runs, key="val_f1").count() == 3 * 20 + 3 * 60
    tickets = Ticket.objects.filter(project__key="CV")
    assert tickets.count() == 2 and RunLink.objects.filter(ticket__in=tickets).count() == 6
    champion = ModelVersion.objects.get(name="defect-classifier")
    assert champion.aliases == ["champion"] and runs.filter(run_id=champion.run_id).exists()
    targets = {row["target"].metric: row for row in target_progress(list(Target.objects.filter(project__key="CV")))}
    assert set(targets) == {"val_f1", "val_loss"} and targets["val_f1"]["target"].primary
    assert targets["val_f1"]["met"] and targets["val_f1"]["series"]  # a met target, with its chart
    assert not targets["val_loss"]["met"] and targets["val_loss"]["best_value"] is not None  # and an unmet one

    seed_demo_experiments(demo)

    assert Run.objects.filter(project__key="CV").count() == 6 + len(HISTORY_RUNS) and tickets.count() == 2
    assert Target.objects.filter(project__key="CV").count() == 2
    assert SyncRecord.objects.count() == 2 and SyncRecord.objects.order_by("-pk").first().runs_created == 0

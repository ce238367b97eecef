"""Demo runs for `make run`: a few small real scikit-learn models trained on data sets the
package ships (no download), logged to the local MLflow store with `aihub.ticket` tags,
a registered champion version, a source for that store, a sync, and two targets (one met,
one not). Idempotent: a second run trains nothing and only syncs."""

import contextlib
import datetime
import logging
import time

from django.conf import settings

from projects.models import Project, Ticket

logger = logging.getLogger(__name__)

TARGETS = [
    {"metric": "val_f1", "direction": "higher", "target": 0.95, "baseline": 0.9, "primary": True},
    {"metric": "val_loss", "direction": "lower", "target": 0.02, "baseline": 0.3},
]

EXPERIMENT = "cv-defect-classifier"
MODEL_NAME = "defect-classifier"
TICKETS = [
    (
        "Baseline classifier for surface defects",
        "val_f1 >= 0.95",
        "Train a first classifier and see where we stand. *The demo uses scikit-learn's breast-cancer data as a "
        "stand-in for defect features.*",
    ),
    ("Tune regularisation and tree depth", "val_f1 >= 0.97", "Sweep C and the depth of boosted trees."),
]


def _ticket(project: Project, demo_user, title: str, description: str) -> Ticket:
    from projects.services import ticket_create

    existing = Ticket.objects.filter(project=project, title=title).first()
    return existing or ticket_create(
        project=project, reporter=demo_user, title=title, type="experiment", description=description, estimate=3
    )


def _train_and_log(tickets: list[Ticket]) -> None:
    import os

    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    import numpy as np
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import accuracy_score, f1_score, log_loss
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    client = MlflowClient(tracking_uri=settings.MLFLOW_TRACKING_URI, registry_uri=settings.MLFLOW_TRACKING_URI)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    local = settings.MLFLOW_TRACKING_URI.startswith("sqlite:")  # a tracking server picks its own artifact store
    experiment_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment(
            EXPERIMENT, artifact_location=f"{settings.MLFLOW_ARTIFACT_ROOT}/{EXPERIMENT}" if local else None
        )
    )
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=7, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    results = []

    def log(name, params, history, ticket, started):
        now = int(time.time() * 1000)
        run = client.create_run(
            experiment_id,
            start_time=started,
            run_name=name,
            tags={
                "aihub.ticket": ticket.key,
                "aihub.demo": "1",
                "mlflow.source.name": "seed_demo",
                "model_family": name.split("-")[0],
            },
        )
        metrics = [
            Metric(key, float(value), started + step * 10, step)
            for step, values in enumerate(history)
            for key, value in values.items()
        ]
        client.log_batch(run.info.run_id, metrics=metrics, params=[Param(k, str(v)) for k, v in params.items()])
        client.set_terminated(run.info.run_id, end_time=max(now, started + 1))
        results.append((history[-1]["val_f1"], run.info.run_id))

    for alpha in (0.1, 0.01, 0.0001):  # a linear model trained epoch by epoch
        started = int(time.time() * 1000)
        model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=0)
        history = []
        for _epoch in range(20):
            model.partial_fit(X_train, y_train, classes=np.array([0, 1]))
            proba = model.predict_proba(X_val)
            history.append(
                {
                    "val_loss": log_loss(y_val, proba),
                    "val_f1": f1_score(y_val, model.predict(X_val)),
                    "val_accuracy": accuracy_score(y_val, model.predict(X_val)),
                }
            )
        log(
            f"sgd-alpha{alpha:g}",
            {"model": "SGDClassifier", "alpha": alpha, "epochs": 20},
            history,
            tickets[0],
            started,
        )
    for depth, rate in ((1, 0.5), (2, 0.1), (3, 0.05)):  # boosted trees, one step per stage
        started = int(time.time() * 1000)
        model = GradientBoostingClassifier(n_estimators=60, max_depth=depth, learning_rate=rate, random_state=0)
        model.fit(X_train, y_train)
        history = [
            {
                "val_f1": f1_score(y_val, (p[:, 1] > 0.5).astype(int)),
                "val_loss": log_loss(y_val, p),
                "val_accuracy": accuracy_score(y_val, (p[:, 1] > 0.5).astype(int)),
            }
            for p in model.staged_predict_proba(X_val)
        ]
        log(
            f"gbt-depth{depth}-lr{rate:g}",
            {"model": "GradientBoostingClassifier", "max_depth": depth, "learning_rate": rate, "n_estimators": 60},
            history,
            tickets[1],
            started,
        )
    best_f1, best_run = max(results)
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # registered by an earlier demo run
        client.create_registered_model(MODEL_NAME, description="Demo defect classifier")
    run = client.get_run(best_run)
    version = client.create_model_version(MODEL_NAME, f"{run.info.artifact_uri}/model", run_id=best_run)
    client.set_registered_model_alias(MODEL_NAME, "champion", version.version)
    logger.info("demo: best val_f1 %.3f in %s registered as %s v%s", best_f1, best_run, MODEL_NAME, version.version)


def seed_demo_experiments(demo_user) -> None:
    from . import services
    from .models import MetricGate, MlflowSource, Sentinel

    project = Project.objects.filter(key="CV").first()
    if project is None:
        return
    tickets = [_ticket(project, demo_user, title, description) for title, _gate, description in TICKETS]
    for ticket, (_title, gate_text, _description) in zip(tickets, TICKETS, strict=True):
        spec = services.gate_parse(gate_text)
        if not MetricGate.objects.filter(ticket=ticket, metric=spec["metric"], op=spec["op"]).exists():
            services.gate_create(ticket=ticket, user=demo_user, **spec)
    if not _already_logged():
        _train_and_log(tickets)
        _log_sprint_history()
    source = MlflowSource.objects.filter(project=project, tracking_uri=settings.MLFLOW_TRACKING_URI).first()
    if source is None:
        source = services.source_create(
            project=project,
            user=demo_user,
            tracking_uri=settings.MLFLOW_TRACKING_URI,
            name="Local MLflow store",
            experiment_names=[EXPERIMENT],
        )
    if not Sentinel.objects.filter(project=project).exists():
        services.sentinel_configure(
            project=project, metric="val_f1", model_name=MODEL_NAME, alias="champion", tolerance=0.02
        )
    services.source_sync_request(source=source, kind="full", user=demo_user)
    _seed_targets(project, demo_user)


def _seed_targets(project: Project, demo_user) -> None:
    """Two targets on the demo runs: F1 (primary, met by the boosted trees) and a log loss
    no demo model reaches (not met)."""
    from . import services
    from .models import Target

    deadline = datetime.date.today() + datetime.timedelta(days=30)
    for spec in TARGETS:
        if not Target.objects.filter(project=project, metric=spec["metric"]).exists():
            services.target_create(project=project, user=demo_user, deadline=deadline, **spec)


# The team's earlier runs, spread over the demo sprints (days ago, hour, val_f1 or None,
# status): the runs-per-sprint chart has runs and failed runs in every sprint, and the
# metric burn-up climbs through the active sprint to today's trained models.
HISTORY_RUNS = [
    (31, 10, 0.82, "FINISHED"),
    (29, 15, None, "FAILED"),
    (27, 11, 0.85, "FINISHED"),
    (24, 16, 0.86, "FINISHED"),
    (17, 10, 0.88, "FINISHED"),
    (15, 14, None, "FAILED"),
    (13, 9, 0.9, "FINISHED"),
    (11, 17, None, "FAILED"),
    (8, 10, 0.91, "FINISHED"),
    (4, 11, 0.925, "FINISHED"),
    (3, 15, None, "FAILED"),
    (2, 10, 0.935, "FINISHED"),
    (1, 16, 0.94, "FINISHED"),
]


def _log_sprint_history() -> None:
    """Log HISTORY_RUNS to the demo experiment with their past start times (tagged
    `aihub.demo_history`): finished runs with a val_f1 and val_loss, failed ones that logged
    a loss and stopped."""
    from django.utils import timezone
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=settings.MLFLOW_TRACKING_URI)
    experiment_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
    today = timezone.localdate()
    for i, (days_ago, hour, f1, status) in enumerate(HISTORY_RUNS):
        moment = datetime.datetime.combine(
            today - datetime.timedelta(days=days_ago), datetime.time(hour), tzinfo=timezone.get_current_timezone()
        )
        started = int(moment.timestamp() * 1000)
        run = client.create_run(
            experiment_id,
            start_time=started,
            run_name=f"sweep-{i + 1:02d}" if f1 is not None else f"sweep-{i + 1:02d}-oom",
            tags={"aihub.demo": "1", "aihub.demo_history": "1", "mlflow.source.name": "seed_demo"},
        )
        metrics = [Metric("val_loss", 0.6 - 0.03 * i, started + 1000, 0)]
        if f1 is not None:
            metrics.append(Metric("val_f1", f1, started + 1000, 0))
        client.log_batch(run.info.run_id, metrics=metrics)
        minutes = 40 if f1 is not None else 6
        client.set_terminated(run.info.run_id, status=status, end_time=started + minutes * 60_000)


def _already_logged() -> bool:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=settings.MLFLOW_TRACKING_URI)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return False
    return bool(client.search_runs([experiment.experiment_id], "tags.`aihub.demo` = '1'", max_results=1))

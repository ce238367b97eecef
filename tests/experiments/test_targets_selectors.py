"""Targets' best value so far, its run, the gap and the best-so-far series (selectors.targets),
for both directions, and their cost: the same queries for 10 runs and 1,000."""

import datetime

import pytest
from django.utils import timezone

from experiments import selectors
from experiments.models import Run
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory, TargetFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now() - datetime.timedelta(days=30)


@pytest.fixture
def experiment():
    return ExperimentFactory(source=MlflowSourceFactory(project=ProjectFactory(key="CV")))


def runs(experiment, values, key="val_f1", **fields):
    """One finished run per value, a day apart in this order (a value None: the run lacks the key)."""
    made = []
    for day, value in enumerate(values):
        start = T0 + datetime.timedelta(days=day)
        metrics = {} if value is None else {key: value}
        made.append(
            RunFactory(
                experiment=experiment,
                name=f"r{day}",
                metrics=metrics,
                start_time=start,
                end_time=start + datetime.timedelta(hours=1),
                **fields,
            )
        )
    return made


def progress(*targets):
    return selectors.target_progress(list(targets))


def test_higher_is_better_best_so_far_skips_nan_and_infinities(experiment):
    made = runs(experiment, [0.5, "NaN", 0.7, "Infinity", 0.6, None, 0.7, 0.82, "-Infinity"])
    target = TargetFactory(project=experiment.source.project, metric="val_f1", direction="higher", target=0.8)

    [row] = progress(target)

    assert row["best_value"] == 0.82 and row["best_run"] == made[7].run_id and row["best_run_name"] == "r7"
    assert row["best_at"] == made[7].end_time
    assert row["met"] is True and row["gap"] == pytest.approx(-0.02)
    # Only strict improvements: the later tie at 0.7 is no new point.
    assert [value for _at, value in row["series"]] == [0.5, 0.7, 0.82]
    assert [at for at, _value in row["series"]] == [made[0].end_time, made[2].end_time, made[7].end_time]


def test_lower_is_better_best_so_far_and_gap(experiment):
    made = runs(experiment, [0.9, 0.4, "NaN", 0.6, 0.35, "-Infinity", 0.5], key="val_loss")
    target = TargetFactory(project=experiment.source.project, metric="val_loss", direction="lower", target=0.2)

    [row] = progress(target)

    assert row["best_value"] == 0.35 and row["best_run"] == made[4].run_id
    assert row["met"] is False and row["gap"] == pytest.approx(0.15)
    assert [value for _at, value in row["series"]] == [0.9, 0.4, 0.35]


def test_only_finished_live_runs_of_the_project_count(experiment):
    project = experiment.source.project
    runs(experiment, [0.6])
    runs(experiment, [0.99], status="RUNNING")
    runs(experiment, [0.98], status="FAILED")
    runs(experiment, [0.97], deleted=True)
    runs(ExperimentFactory(), [0.999])  # another project's run
    target = TargetFactory(project=project, target=0.9)

    [row] = progress(target)

    assert row["best_value"] == 0.6 and row["met"] is False and len(row["series"]) == 1


def test_a_run_without_an_end_counts_at_its_start(experiment):
    [run] = runs(experiment, [0.7])
    Run.objects.filter(pk=run.pk).update(end_time=None)

    [row] = progress(TargetFactory(project=experiment.source.project, target=0.5))

    assert row["best_at"] == run.start_time and row["met"] is True


def test_no_runs_with_the_metric_yet(experiment):
    runs(experiment, [0.9])
    [row] = progress(TargetFactory(project=experiment.source.project, metric="val_auc"))
    assert row["best_value"] is None and row["best_run"] is None and row["gap"] is None
    assert row["met"] is False and row["series"] == []


def test_several_targets_each_on_its_own_metric(experiment):
    project = experiment.source.project
    for f1, loss in [(0.5, 0.9), (0.8, 0.7), (0.6, 0.2)]:
        RunFactory(experiment=experiment, metrics={"val_f1": f1, "val_loss": loss})
    f1 = TargetFactory(project=project, metric="val_f1", target=0.75, primary=True)
    loss = TargetFactory(project=project, metric="val_loss", direction="lower", target=0.1)

    rows = {row["target"].metric: row for row in progress(f1, loss)}

    assert rows["val_f1"]["best_value"] == 0.8 and rows["val_f1"]["met"] is True
    assert rows["val_loss"]["best_value"] == 0.2 and rows["val_loss"]["met"] is False


def _bulk_runs(experiment, count):
    start = T0
    Run.objects.bulk_create(
        RunFactory.build(
            experiment=experiment,
            start_time=start + datetime.timedelta(minutes=n),
            end_time=start + datetime.timedelta(minutes=n + 1),
            metrics={"val_f1": (n * 7919 % 1000) / 1000, "val_loss": 1 - (n * 104729 % 1000) / 1000},
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_progress_costs_one_query_whatever_the_number_of_runs(experiment, count, django_assert_num_queries):
    project = experiment.source.project
    _bulk_runs(experiment, count)
    targets = [
        TargetFactory(project=project, metric="val_f1", target=0.95),
        TargetFactory(project=project, metric="val_loss", direction="lower", target=0.05),
        TargetFactory(project=project, metric="val_auc", target=0.9),
    ]
    with django_assert_num_queries(1):
        rows = progress(*targets)
    assert rows[0]["best_value"] == max((n * 7919 % 1000) / 1000 for n in range(count))
    assert rows[1]["best_value"] == pytest.approx(min(1 - (n * 104729 % 1000) / 1000 for n in range(count)))
    assert rows[2]["best_value"] is None

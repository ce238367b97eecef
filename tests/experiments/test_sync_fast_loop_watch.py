"""The fast loop's watch list: stored runs still running or deleted, read through the partial
index run_fast_loop_watch (experiments migration 0004), so a cycle does not scan every
finished run stored."""

import pytest
from django.db import connection

from experiments.sync.cycles import watched_run_ids
from tests.experiments.factories import ExperimentFactory, RunFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs():
    experiment = ExperimentFactory()
    other = ExperimentFactory(source=experiment.source)
    made = {
        "finished": RunFactory(experiment=experiment),
        "running": RunFactory(experiment=experiment, status="RUNNING"),
        "scheduled": RunFactory(experiment=experiment, status="SCHEDULED"),
        "deleted": RunFactory(experiment=experiment, deleted=True),
        "purged": RunFactory(experiment=experiment, deleted=True, purged=True),
        "running_elsewhere": RunFactory(experiment=other, status="RUNNING"),
        "other_source": RunFactory(status="RUNNING"),
    }
    return experiment, made


def test_the_watch_list_is_the_running_and_deleted_runs_of_the_followed_experiments(runs):
    experiment, made = runs
    ids = list(watched_run_ids(source=experiment.source, experiment_ids=[experiment.experiment_id]))
    assert ids == [made[name].run_id for name in ("running", "scheduled", "deleted")]


def test_the_watch_list_is_read_through_its_partial_index(runs):
    require_postgres()
    experiment, _ = runs
    sql, params = watched_run_ids(
        source=experiment.source, experiment_ids=[experiment.experiment_id]
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "run_fast_loop_watch" in plan, plan

"""The runs table on a long experiment (issue 12, target 6): the rows it shows read through
an index in the default order, and the count stops at a cap ("10,000+ runs") until someone
pages to the end of the capped range."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from aihub.pagination import CappedPaginator
from experiments import selectors
from experiments.models import Run
from experiments.views import runs as run_views
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import ProjectFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment():
    return ExperimentFactory(source=MlflowSourceFactory(project=ProjectFactory(key="CV")), name="detector")


def test_capped_paginator_counts_up_to_the_cap_then_exactly_at_the_end(experiment, django_assert_num_queries):
    RunFactory.create_batch(12, experiment=experiment)
    runs = Run.objects.filter(experiment=experiment).order_by("pk")
    paginator = CappedPaginator(runs, 2, cap=5)
    with django_assert_num_queries(2):  # the capped count, the page
        page = paginator.get_page(2)
        assert len(page.object_list) == 2
    assert paginator.capped and paginator.count == 6 and paginator.num_pages == 3
    end = CappedPaginator(runs, 2, cap=5).get_page(3)  # the last page of the capped range
    assert not end.paginator.capped and end.paginator.num_pages == 6 and end.has_next()
    assert CappedPaginator(runs, 2, cap=5).get_page(99).number == 6
    assert CappedPaginator(runs, 2, cap=5).get_page("x").number == 1
    short = CappedPaginator(runs, 5, cap=50)
    assert short.get_page(9).number == 3 and not short.capped and short.count == 12


def test_runs_table_says_more_than_the_cap_and_pages_on(client, experiment, member_of, monkeypatch):
    monkeypatch.setattr(run_views, "RUN_COUNT_CAP", 5)
    monkeypatch.setattr(run_views, "PAGE_SIZE", 2)
    for n in range(12):
        RunFactory(experiment=experiment, name=f"run-{n:03d}")
    client.force_login(member_of(experiment.source.project, "viewer"))
    url = reverse("experiments:experiment", args=[experiment.source.project.key, experiment.pk])
    first = client.get(url).content.decode()
    assert "5+ runs" in first and "Page 1 of 3+" in first and "Next" in first
    last = client.get(url, {"page": 3}).content.decode()
    assert "12 runs" in last and "Page 3 of 6" in last


def test_the_default_order_reads_through_the_runs_table_index(experiment):
    require_postgres()
    RunFactory.create_batch(3, experiment=experiment)
    runs = selectors.runs_table(selectors.runs_filtered(project=experiment.source.project, experiment_pk=experiment.pk))
    sql, params = runs[:50].query.sql_with_params()
    assert "experiments_experiment" not in sql and '"tags"' not in sql  # the shown columns, no join
    with connection.cursor() as cursor:
        # Three rows cost the same by any index: forbid the cheap alternatives (a scan, or
        # another index and a sort), so the plan says whether this index serves the order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "run_experiment_table" in plan and "Sort" not in plan, plan


def test_the_capped_count_reads_the_runs_table_index_alone(experiment):
    """The table's "N runs" counts up to 10,001 rows of one project's experiment: an
    index-only scan (project_id is carried in the index), not a read of every row."""
    require_postgres()
    RunFactory.create_batch(3, experiment=experiment)
    runs = selectors.runs_table(selectors.runs_filtered(project=experiment.source.project, experiment_pk=experiment.pk))
    with connection.cursor() as cursor:
        # Only an index-only scan is allowed (a test table's statistics could otherwise make a
        # plain index scan look as cheap): without project_id in the index, none is possible
        # and the planner falls back to a refused plan, which this test reports.
        for plan_type in ("seqscan", "bitmapscan", "indexscan"):
            cursor.execute(f"SET LOCAL enable_{plan_type} = off")
        sql, params = runs.values("id")[: run_views.RUN_COUNT_CAP + 1].query.sql_with_params()
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) counted", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using run_experiment_table" in plan and "Filter: (project_id" in plan, plan


def test_the_column_chooser_offers_the_keys_of_the_latest_runs(experiment, monkeypatch):
    monkeypatch.setattr(selectors.runs, "COLUMN_KEYS_SAMPLE", 3)
    now = timezone.now()
    RunFactory(
        experiment=experiment, metrics={"old": 1.0}, params={"old": "x"}, start_time=now - datetime.timedelta(days=9)
    )
    for n, (metrics, params) in enumerate(
        [({"loss": 0.5}, {"lr": "0.1"}), ({"loss": 0.4, "val_f1": 0.8}, {}), ({}, {"depth": "3", "lr": "0.01"})]
    ):
        RunFactory(experiment=experiment, metrics=metrics, params=params, start_time=now - datetime.timedelta(hours=n))
    # The latest three runs: the oldest is left out of the sample.
    keys = selectors.experiment_column_keys(experiment=experiment, extra={"metrics": ["chosen"], "params": []})
    assert keys == {"metrics": ["chosen", "loss", "val_f1"], "params": ["depth", "lr"]}

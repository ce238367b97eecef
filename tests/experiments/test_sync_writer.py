"""The sync's bulk writer (experiments/sync/writer.py): COPY into a page table then one upsert
on PostgreSQL, bulk_create on SQLite. Both must store exactly what the importer normalized,
keep a stored run's row (pk, first sync time) on update, and mark runs with the reconcile
that wrote them, so purge detection sees every run a full scan wrote or read."""

from datetime import UTC, datetime

import pytest

from experiments.models import Run, SyncRecord
from experiments.sync.importer import PageImporter, normalize
from experiments.sync.writer import upsert_runs
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory

pytestmark = pytest.mark.django_db

# Text that COPY's text format and JSON both escape: tab, newline, backslash, quotes, non-ASCII.
AWKWARD = 'tab\there\nnew "quoted" back\\slash \\N café 日本 😀'


@pytest.fixture
def experiment():
    return ExperimentFactory(source=MlflowSourceFactory(), experiment_id="7")


class NoHistories:
    """A client the importer never needs: the runs below log no metrics with histories to read."""

    parallel_requests = 1


def raw_run(run_id, *, name="run", status="FINISHED", lifecycle="active", param="0.1", start=1_700_000_000_123):
    return {
        "info": {
            "run_id": run_id,
            "experiment_id": "7",
            "run_name": name,
            "status": status,
            "start_time": start,
            "end_time": start + 61_007,
            "lifecycle_stage": lifecycle,
            "user_id": "dana",
            "artifact_uri": f"file:///artifacts/{run_id}",
        },
        "data": {
            "params": [{"key": "lr", "value": param}, {"key": "note", "value": AWKWARD}],
            "tags": [{"key": AWKWARD, "value": "x"}, {"key": "nul", "value": "a\x00b"}],
        },
    }


def upsert(experiment, raws, mark):
    return upsert_runs(
        project_id=experiment.source.project_id,
        source_id=experiment.source_id,
        experiment_pks={"7": experiment.pk},
        runs=[normalize(raw) for raw in raws],
        mark=mark,
    )


def test_a_new_run_is_stored_as_normalized_to_the_millisecond(experiment):
    pks = upsert(experiment, [raw_run("a1", name=AWKWARD)], mark=41)
    run = Run.objects.get(pk=pks["a1"])
    assert (run.project_id, run.source_id, run.experiment_id) == (
        experiment.source.project_id,
        experiment.source_id,
        experiment.pk,
    )
    assert run.name == AWKWARD and run.user_id == "dana" and run.status == "FINISHED"
    assert run.start_time == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert run.end_time == datetime(2023, 11, 14, 22, 14, 21, 130000, tzinfo=UTC)
    assert run.artifact_uri == "file:///artifacts/a1" and run.lifecycle == "active" and not run.deleted
    assert run.params == {"lr": "0.1", "note": AWKWARD}
    assert run.tags == {AWKWARD: "x"}
    assert run.rejected == {"tag:nul": "tag contains a NUL character, which the database cannot store"}
    assert run.fingerprint == normalize(raw_run("a1", name=AWKWARD)).fingerprint
    assert run.seen_by_sync == 41 and run.first_synced_at is not None and not run.purged


def test_an_update_keeps_the_row_and_a_fast_loop_write_keeps_the_reconcile_mark(experiment):
    first = upsert(experiment, [raw_run("a1"), raw_run("b2")], mark=41)
    synced_at = Run.objects.get(pk=first["a1"]).first_synced_at
    Run.objects.filter(pk=first["a1"]).update(purged=True)
    # A fast-loop write (no reconcile mark) of a changed run, in the same transaction as the first.
    again = upsert(experiment, [raw_run("a1", param="0.2", lifecycle="deleted", status="KILLED")], mark=None)
    assert again == {"a1": first["a1"]}
    run = Run.objects.get(pk=first["a1"])
    assert run.params["lr"] == "0.2" and run.status == "KILLED"
    assert run.deleted and run.lifecycle == "deleted" and not run.purged
    assert run.first_synced_at == synced_at and run.updated_at >= synced_at
    assert run.seen_by_sync == 41
    upsert(experiment, [raw_run("a1", param="0.3")], mark=42)
    assert Run.objects.get(pk=first["a1"]).seen_by_sync == 42
    assert Run.objects.filter(source=experiment.source).count() == 2


def test_a_reconcile_page_marks_written_and_unchanged_runs_alike_and_writes_each_run_once(experiment):
    def importer(mark):
        record = SyncRecord.objects.create(source=experiment.source, kind=SyncRecord.Kind.FULL)
        return PageImporter(
            source=experiment.source,
            client=NoHistories(),
            experiments={"7": experiment},
            record=record,
            reconcile_mark=mark,
        )

    page = [raw_run(f"r{i}", start=1_700_000_000_000 + i) for i in range(4)]
    assert importer(1).import_page(page).created == 4
    changed = [raw_run("r0", param="0.9"), *page[1:], raw_run("r9")]
    result = importer(2).import_page(changed)
    assert (result.seen, result.created, result.updated) == (5, 1, 1)
    runs = Run.objects.filter(source=experiment.source)
    assert runs.count() == 5
    assert set(runs.values_list("seen_by_sync", flat=True)) == {2}
    assert runs.get(run_id="r0").params["lr"] == "0.9"

"""Writing a page of runs and their metric points in bulk, inside the page's transaction.

On PostgreSQL a page's changed runs go through COPY into a temporary table, then one
`INSERT ... SELECT ... ON CONFLICT (source, run) DO UPDATE ... RETURNING`: the JSON columns
are encoded once by orjson and sent as COPY text, times go as epoch milliseconds and become
timestamps in the database, and no model instance is built. (Django's bulk_create quoted
every value of every row into the statement's text: most of the write's time at 30,000
runs.) Metric points go through COPY straight into their table. Elsewhere (the embedded
SQLite) both use bulk_create.

An upsert leaves a stored run's `first_synced_at` as it was, sets `updated_at`, and marks
`seen_by_sync` with the full reconcile writing it (a fast-loop write keeps the old mark)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from django.db import connection, transaction

from ..models import Lifecycle, MetricPoint, Run

RUN_UPDATE_FIELDS = [
    "project",
    "experiment",
    "name",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "artifact_uri",
    "lifecycle",
    "deleted",
    "purged",
    "params",
    "tags",
    "metrics",
    "metric_marks",
    "fingerprint",
    "rejected",
    "updated_at",
]
POINT_COLUMNS = ("run_id", "key", "step", "value", "is_nan", "timestamp")

# The temporary table a page's runs are copied into: (column, type) in COPY order.
PAGE_TABLE = "aihub_sync_run_page"
PAGE_COLUMNS = (
    ("experiment_id", "bigint"),
    ("run_id", "text"),
    ("name", "text"),
    ("user_id", "text"),
    ("status", "text"),
    ("start_ms", "bigint"),
    ("end_ms", "bigint"),
    ("artifact_uri", "text"),
    ("lifecycle", "text"),
    ("deleted", "boolean"),
    ("params", "jsonb"),
    ("tags", "jsonb"),
    ("metrics", "jsonb"),
    ("metric_marks", "jsonb"),
    ("fingerprint", "text"),
    ("rejected", "jsonb"),
)
MS = "timestamptz 'epoch' + p.{0} * interval '1 millisecond'"
# Run's columns and what each takes from the page table (or a parameter).
UPSERT_VALUES = (
    ("project_id", "%(project)s"),
    ("source_id", "%(source)s"),
    ("experiment_id", "p.experiment_id"),
    ("run_id", "p.run_id"),
    ("name", "p.name"),
    ("user_id", "p.user_id"),
    ("status", "p.status"),
    ("start_time", MS.format("start_ms")),
    ("end_time", MS.format("end_ms")),
    ("artifact_uri", "p.artifact_uri"),
    ("lifecycle", "p.lifecycle"),
    ("deleted", "p.deleted"),
    ("purged", "false"),
    ("params", "p.params"),
    ("tags", "p.tags"),
    ("metrics", "p.metrics"),
    ("metric_marks", "p.metric_marks"),
    ("fingerprint", "p.fingerprint"),
    ("rejected", "p.rejected"),
    ("seen_by_sync", "%(mark)s::bigint"),
    ("first_synced_at", "statement_timestamp()"),
    ("updated_at", "statement_timestamp()"),
)


def _column(field: str) -> str:
    return Run._meta.get_field(field).column


def _upsert_sql() -> str:
    columns = ", ".join(column for column, _ in UPSERT_VALUES)
    values = ", ".join(value for _, value in UPSERT_VALUES)
    updates = [f"{_column(name)} = EXCLUDED.{_column(name)}" for name in RUN_UPDATE_FIELDS]
    updates.append("seen_by_sync = COALESCE(EXCLUDED.seen_by_sync, r.seen_by_sync)")
    return (
        f'INSERT INTO "{Run._meta.db_table}" AS r ({columns}) SELECT {values} FROM {PAGE_TABLE} p '
        f"ON CONFLICT (source_id, run_id) DO UPDATE SET {', '.join(updates)} RETURNING r.id, r.run_id"
    )


UPSERT_SQL = _upsert_sql()
CREATE_PAGE_TABLE = (
    f"CREATE TEMPORARY TABLE {PAGE_TABLE} ({', '.join(f'{name} {kind}' for name, kind in PAGE_COLUMNS)}) ON COMMIT DROP"
)
COPY_PAGE = f"COPY {PAGE_TABLE} ({', '.join(name for name, _ in PAGE_COLUMNS)}) FROM STDIN"


def _json(value: dict) -> str:
    return orjson.dumps(value).decode()


def upsert_runs(
    *, project_id: int, source_id: int, experiment_pks: dict[str, int], runs: list, mark: int | None
) -> dict[str, int]:
    """Insert or update these runs (importer.NormalRun, each run_id once) of one source;
    returns {run_id: pk}."""
    if not runs:
        return {}
    if connection.vendor == "postgresql":
        return _upsert_runs_copy(
            project_id=project_id, source_id=source_id, experiment_pks=experiment_pks, runs=runs, mark=mark
        )
    return _upsert_runs_orm(
        project_id=project_id, source_id=source_id, experiment_pks=experiment_pks, runs=runs, mark=mark
    )


def _upsert_runs_copy(*, project_id, source_id, experiment_pks, runs, mark) -> dict[str, int]:
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # Dropped here, not only at commit: a page written inside an outer transaction (a
        # test's) would otherwise find the previous page's table.
        cursor.execute(CREATE_PAGE_TABLE)
        with cursor.cursor.copy(COPY_PAGE) as copy:
            for n in runs:
                copy.write_row(
                    (
                        experiment_pks[n.experiment_id],
                        n.run_id,
                        n.name,
                        n.user_id[:250],
                        n.status,
                        n.start_ms,
                        n.end_ms,
                        n.artifact_uri,
                        Lifecycle.DELETED if n.lifecycle == "deleted" else Lifecycle.ACTIVE,
                        n.lifecycle == "deleted",
                        _json(n.params),
                        _json(n.tags),
                        _json(n.metrics),
                        _json(n.marks),
                        n.fingerprint,
                        _json(n.rejected),
                    )
                )
        cursor.execute(UPSERT_SQL, {"project": project_id, "source": source_id, "mark": mark})
        pks = {run_id: pk for pk, run_id in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {PAGE_TABLE}")
    return pks


def _ms_to_datetime(ms: int | None):
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _upsert_runs_orm(*, project_id, source_id, experiment_pks, runs, mark) -> dict[str, int]:
    rows = []
    for n in runs:
        deleted = n.lifecycle == "deleted"
        rows.append(
            Run(
                project_id=project_id,
                source_id=source_id,
                experiment_id=experiment_pks[n.experiment_id],
                run_id=n.run_id,
                name=n.name,
                user_id=n.user_id[:250],
                status=n.status,
                start_time=_ms_to_datetime(n.start_ms),
                end_time=_ms_to_datetime(n.end_ms),
                artifact_uri=n.artifact_uri,
                lifecycle=Lifecycle.DELETED if deleted else Lifecycle.ACTIVE,
                deleted=deleted,
                purged=False,
                params=n.params,
                tags=n.tags,
                metrics=n.metrics,
                metric_marks=n.marks,
                fingerprint=n.fingerprint,
                rejected=n.rejected,
                seen_by_sync=mark,
            )
        )
    fields = RUN_UPDATE_FIELDS + (["seen_by_sync"] if mark is not None else [])
    Run.objects.bulk_create(rows, update_conflicts=True, unique_fields=["source", "run_id"], update_fields=fields)
    pks = {row.run_id: row.pk for row in rows}
    if any(pk is None for pk in pks.values()):  # backends that do not return ids on upsert
        pks = dict(Run.objects.filter(source_id=source_id, run_id__in=list(pks)).values_list("run_id", "pk"))
    return pks


def insert_points(rows: list[tuple]) -> None:
    """Bulk insert of metric points (tuples in POINT_COLUMNS order): COPY on PostgreSQL,
    bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = MetricPoint._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({", ".join(POINT_COLUMNS)}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    MetricPoint.objects.bulk_create(
        [MetricPoint(**dict(zip(POINT_COLUMNS, row, strict=True))) for row in rows], batch_size=2000
    )

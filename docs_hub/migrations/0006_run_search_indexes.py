"""Indexes for searching runs by name or run id (docs_hub/search/builtin.py, search_runs), created
here by the app that searches, like 0002 and 0004; the experiments models do not declare them.

Search looks runs up with `UPPER(run_id) = UPPER(q) OR UPPER(name) LIKE UPPER('%q%')` (Django's
iexact and icontains). Without indexes every search read every stored run of the user's projects:
18.8 ms with 30,000 runs, more than the tickets and docs together. A btree on UPPER(run_id) and a
trigram GIN index on UPPER(name) (pg_trgm, a trusted extension a database owner may create) answer
it with a BitmapOr. Where the extension cannot be created, the name index is left out and search
works as before, only slower. PostgreSQL only."""

from django.db import DatabaseError, migrations, transaction

RUN_ID = "CREATE INDEX IF NOT EXISTS docs_hub_run_id_upper ON experiments_run (UPPER(run_id::text))"
NAME = (
    "CREATE INDEX IF NOT EXISTS docs_hub_run_name_trgm ON experiments_run "
    "USING gin (UPPER(name::text) gin_trgm_ops) WITH (fastupdate = off)"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(RUN_ID)
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:  # no right to create it here: search runs without the name index
        return
    schema_editor.execute(NAME)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS docs_hub_run_name_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS docs_hub_run_id_upper")


class Migration(migrations.Migration):
    dependencies = [
        ("docs_hub", "0005_search_indexes_fastupdate_off"),
        ("experiments", "0004_run_fast_loop_watch"),
    ]

    operations = [migrations.RunPython(forward, backward)]

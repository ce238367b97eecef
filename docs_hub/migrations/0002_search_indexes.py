"""GIN indexes for full-text search on tickets and docs (PostgreSQL only).

The ticket index lives on `projects_ticket` but is created here, by the app that searches,
so the projects app's migrations stay untouched. On SQLite nothing happens (search falls
back to icontains there)."""
from django.db import migrations

from docs_hub.search.vectors import index_vector

INDEXES = [
    ("projects_ticket", "docs_hub_ticket_fts", index_vector("title", "description")),
    ("docs_hub_doc", "docs_hub_doc_fts", index_vector("title", "body")),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, expression in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" USING gin ({expression})')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _expression in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("docs_hub", "0001_initial"),
        ("projects", "0002_ticket_events"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]

"""Full-text search structures (PostgreSQL only; on SQLite search falls back to icontains).

- Tickets: an expression GIN index on `projects_ticket`, created here by the app that
  searches, so the projects app's migrations and columns stay untouched.
- Docs: a stored generated tsvector column on our own table, with a GIN index. Django's
  model does not declare it; only the search query reads it."""
from django.db import migrations

from docs_hub.search.vectors import weighted_vector

FORWARD = [
    f"CREATE INDEX IF NOT EXISTS docs_hub_ticket_fts ON projects_ticket USING gin "
    f"({weighted_vector('title', 'description')})",
    f"ALTER TABLE docs_hub_doc ADD COLUMN IF NOT EXISTS search_vector tsvector "
    f"GENERATED ALWAYS AS ({weighted_vector('title', 'body')}) STORED",
    "CREATE INDEX IF NOT EXISTS docs_hub_doc_fts ON docs_hub_doc USING gin (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS docs_hub_doc_fts",
    "ALTER TABLE docs_hub_doc DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS docs_hub_ticket_fts",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("docs_hub", "0001_initial"),
        ("projects", "0002_ticket_events"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]

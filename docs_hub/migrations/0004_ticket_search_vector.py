"""Tickets get a stored tsvector column kept by PostgreSQL (like docs since 0002), so search
ranks their full text (title A, description B, acceptance criteria C) by reading the vector
instead of re-parsing every matching ticket; the GIN index moves from the expression to the
column. Titles of tickets and docs get a small expression GIN index each, so search can take
the newest title hits as candidates beside the newest hits anywhere. PostgreSQL only: on
SQLite search falls back to icontains.

The column lives on the projects app's table but is created here, by the app that searches,
and the projects models do not declare it (Django never selects or writes it). The SQL is
written out in full so this migration does not change when the live search code does."""
from django.db import migrations


def _vector(*weighted_columns):
    return " || ".join(f"setweight(to_tsvector('english'::regconfig, coalesce({column}, '')), '{weight}')"
                       for column, weight in weighted_columns)


TICKET_VECTOR = _vector(("title", "A"), ("description", "B"), ("acceptance_criteria", "C"))
TITLE = "to_tsvector('english'::regconfig, coalesce(title, ''))"
OLD_EXPRESSION = f"({_vector(('title', 'A'), ('description', 'B'))})"

FORWARD = [
    "DROP INDEX IF EXISTS docs_hub_ticket_fts",
    f"ALTER TABLE projects_ticket ADD COLUMN IF NOT EXISTS search_vector tsvector "
    f"GENERATED ALWAYS AS ({TICKET_VECTOR}) STORED",
    "CREATE INDEX IF NOT EXISTS docs_hub_ticket_fts ON projects_ticket USING gin (search_vector)",
    f"CREATE INDEX IF NOT EXISTS docs_hub_ticket_title_fts ON projects_ticket USING gin ({TITLE})",
    f"CREATE INDEX IF NOT EXISTS docs_hub_doc_title_fts ON docs_hub_doc USING gin ({TITLE})",
]
BACKWARD = [
    "DROP INDEX IF EXISTS docs_hub_doc_title_fts",
    "DROP INDEX IF EXISTS docs_hub_ticket_title_fts",
    "DROP INDEX IF EXISTS docs_hub_ticket_fts",
    "ALTER TABLE projects_ticket DROP COLUMN IF EXISTS search_vector",
    f"CREATE INDEX IF NOT EXISTS docs_hub_ticket_fts ON projects_ticket USING gin ({OLD_EXPRESSION})",
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
        ("docs_hub", "0003_ticket_links_by_key"),
        ("projects", "0004_ticket_acceptance_criteria_html"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]

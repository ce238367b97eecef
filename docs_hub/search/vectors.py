"""The full-text expressions, written once. Titles weigh A, bodies B (a ticket's acceptance
criteria C), so a title hit ranks above a body hit.

Tickets and docs keep their weighted vector in a stored generated column that PostgreSQL
maintains (`search_vector`, docs since migration 0002, tickets since 0004; Django's models
do not declare them), GIN-indexed, so matching and ranking read it instead of re-parsing
every body. A small expression GIN index on each title (TICKET_TITLE_VECTOR,
DOC_TITLE_VECTOR, migration 0004) finds title hits among many body hits; the queries must use
these very expressions for PostgreSQL's planner to match them to the indexes."""

SEARCH_CONFIG = "english"


def weighted_vector(title: str, body: str, table: str = "") -> str:
    """The vector of migration 0002 (kept for it; migration 0004 writes its own SQL)."""
    prefix = f"{table}." if table else ""
    return (
        f"(setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({prefix}{title}, '')), 'A') || "
        f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({prefix}{body}, '')), 'B'))"
    )


def title_vector(title: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return f"to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({prefix}{title}, ''))"


TICKET_VECTOR = '"projects_ticket"."search_vector"'
TICKET_TITLE_VECTOR = title_vector("title", '"projects_ticket"')
DOC_VECTOR = '"docs_hub_doc"."search_vector"'
DOC_TITLE_VECTOR = title_vector("title", '"docs_hub_doc"')

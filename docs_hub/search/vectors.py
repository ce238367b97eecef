"""The full-text expressions, written once: migration 0002 and the search queries use the
very same text, so PostgreSQL's planner matches the ticket query to its expression index.
Titles weigh A, bodies B: ts_rank ranks a title hit above a body hit.

Docs (our table) keep the vector in a stored generated column, so ranking thousands of
long pages reads it instead of re-parsing every body. Tickets (the projects app's table,
which we do not change) get an expression GIN index for matching; they are ranked on their
title vector alone, which is cheap, so a title hit still comes first."""

SEARCH_CONFIG = "english"


def weighted_vector(title: str, body: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return (
        f"(setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({prefix}{title}, '')), 'A') || "
        f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({prefix}{body}, '')), 'B'))"
    )


def title_vector(title: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({prefix}{title}, '')), 'A')"


TICKET_VECTOR = weighted_vector("title", "description", '"projects_ticket"')
TICKET_TITLE_VECTOR = title_vector("title", '"projects_ticket"')
DOC_VECTOR = '"docs_hub_doc"."search_vector"'

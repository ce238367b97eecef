"""The full-text expressions, written once: the GIN indexes (migration 0002) and the
search queries use the very same text, so PostgreSQL's planner matches them to the index.
Titles weigh A, bodies B: ts_rank then ranks a title hit above a body hit."""

SEARCH_CONFIG = "english"


def weighted_vector(table: str, title: str, body: str) -> str:
    return (
        f"(setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({table}.{title}, '')), 'A') || "
        f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({table}.{body}, '')), 'B'))"
    )


TICKET_VECTOR = weighted_vector('"projects_ticket"', "title", "description")
DOC_VECTOR = weighted_vector('"docs_hub_doc"', "title", "body")


def index_vector(title: str, body: str) -> str:
    """The same expression without the table name, as CREATE INDEX wants it."""
    return (
        f"(setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({title}, '')), 'A') || "
        f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, coalesce({body}, '')), 'B'))"
    )

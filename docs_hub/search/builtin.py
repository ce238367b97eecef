"""The built-in search providers: tickets, docs, and runs when the experiments app has them.

On PostgreSQL: websearch_to_tsquery against the stored, GIN-indexed weighted vectors (titles
A, bodies B, a ticket's acceptance criteria C; see vectors.py). Only the top candidates are
ranked, so the cost does not grow with the number of matches: the CANDIDATES newest matches
anywhere plus the TITLE_CANDIDATES newest title matches (each found through its GIN index,
or by walking the primary key backwards when matches are common), all in the projects the
user is a member of. Those are ranked with ts_rank on the stored vector (ts_rank_cd costs
about six times more per row). Snippets come from ts_headline, computed once search() has
merged the kinds, for the returned hits only, from the field that matched (a ticket's
description, else its acceptance criteria). Elsewhere: every word must appear in the title or
body (icontains), title hits rank first."""

from django.db.models import Q
from django.db.models.expressions import RawSQL

from experiments.models import Run
from projects.models import Ticket
from projects.ticket_links import ticket_url, ticket_url_parts

from ..links import doc_url, doc_url_parts
from ..models import Doc
from .providers import SearchHit, register_search_provider
from .snippets import HEADLINE_OPTIONS, START, marked_to_html, plain_snippet
from .vectors import DOC_TITLE_VECTOR, DOC_VECTOR, SEARCH_CONFIG, TICKET_TITLE_VECTOR, TICKET_VECTOR

TSQUERY = f"websearch_to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)"
CANDIDATES = 200  # the newest matches ranked, per kind (at least 4x the results asked for)
TITLE_CANDIDATES = 50  # plus the newest title matches, so an old title hit still competes
WINDOW, BEFORE = 600, 150  # characters of a long body parsed for its snippet (two 30-word fragments fit)


def _candidates(
    *, table: str, vector: str, title_vector: str, project_ids, query: str, limit: int, where: str = ""
) -> tuple[str, list]:
    """SQL for the ids worth ranking: the newest matches, plus the newest title matches, in the
    visible projects. `project_id = ANY(ARRAY(...))` (not a join) lets PostgreSQL walk the
    primary key backwards and stop after `n` matches when matches are common."""
    ids_sql, ids_params = project_ids.order_by().query.sql_with_params()
    scope = f"{table}.project_id = ANY(ARRAY({ids_sql})){where}"

    def newest(match: str, n: int) -> tuple[str, list]:
        return (
            f"(SELECT {table}.id FROM {table} WHERE {match} @@ {TSQUERY} AND {scope} "
            f"ORDER BY {table}.id DESC LIMIT {int(n)})",
            [query, *ids_params],
        )

    anywhere, anywhere_params = newest(vector, max(CANDIDATES, 4 * limit))
    titles, titles_params = newest(title_vector, max(TITLE_CANDIDATES, limit))
    return f"{table}.id IN ({anywhere} UNION {titles})", [*anywhere_params, *titles_params]


def _ranked(
    queryset, *, table: str, vector: str, title_vector: str, project_ids, query: str, limit: int, where: str = ""
):
    """The best `limit` candidates, ranked on the stored vector. Candidates are already scoped
    to the visible projects, so the outer query only looks them up by primary key."""
    candidates, params = _candidates(
        table=table,
        vector=vector,
        title_vector=title_vector,
        project_ids=project_ids,
        query=query,
        limit=limit,
        where=where,
    )
    return (
        queryset.extra(where=[candidates], params=params)
        .annotate(search_rank=RawSQL(f"ts_rank({vector}, {TSQUERY})", [query]))
        .order_by("-search_rank", "-id")[:limit]
    )


def _around_first_match(column: str) -> str:
    """SQL for the part of a long text that ts_headline needs to parse: WINDOW characters
    (stretched to the end of the word it cuts) from BEFORE characters ahead of the first place
    where a word of the query appears (its stem as a substring: "calibr" in "Calibrating"); the
    whole text when it is short or no stem appears as such ("happi" for "happy"). On 25 docs of
    20 kB, ts_headline costs 57 ms on whole bodies and 9 ms on 1,000 characters. Takes the query as its
    one parameter."""
    text = f"coalesce({column}, '')"
    cut = f"greatest(1, found.first - {BEFORE})"
    return (
        f"CASE WHEN length({text}) <= {WINDOW} THEN {text} ELSE ("
        f"SELECT CASE WHEN found.first IS NULL THEN {text} "
        f"ELSE substr({text}, {cut}, {WINDOW} + strpos(substr({text}, {cut} + {WINDOW}), ' ')) END "
        f"FROM (SELECT min(nullif(strpos(lowered, word), 0)) AS first FROM lower({text}) AS lowered, "
        f"unnest(tsvector_to_array(to_tsvector('{SEARCH_CONFIG}'::regconfig, %s))) AS word) AS found) END"
    )


def _headlines(model, *, table: str, ids: list[int], query: str, columns: list[str]) -> dict[int, list[str]]:
    """ts_headline of each column, for the few rows that search() returns (parsing a body is
    the costly part of search, so it is done after the merge, not for every ranked row, and
    only around the first match of a long body: see _around_first_match)."""
    snippets = {
        f"headline_{column}": RawSQL(
            f"ts_headline('{SEARCH_CONFIG}'::regconfig, {_around_first_match(f'{table}.{column}')}, {TSQUERY}, %s)",
            [query, query, HEADLINE_OPTIONS],
        )
        for column in columns
    }
    rows = model.objects.filter(id__in=ids).annotate(**snippets).values_list("id", *snippets)
    return {row[0]: list(row[1:]) for row in rows}


def _words(query: str) -> list[str]:
    return [word.strip('"') for word in query.split() if word.strip('"') and word.lower() not in {"or", "and"}][:8]


def _fallback(queryset, *, title: str, body: str, query: str, limit: int):
    words = _words(query)
    if not words:
        return [], words
    condition = Q()
    for word in words:
        condition &= Q(**{f"{title}__icontains": word}) | Q(**{f"{body}__icontains": word})
    return list(queryset.filter(condition).order_by("-updated_at")[: limit * 3]), words


def _fallback_rank(title: str, words: list[str]) -> float:
    lowered = title.lower()
    return 1.0 + sum(1.0 for word in words if word.lower() in lowered)


class _UrlParts:
    """URLs of many rows, reversed once per project (reverse() per hit was a third of the
    Python time of a search)."""

    def __init__(self, parts):
        self.parts, self.cache = parts, {}

    def around(self, project_key: str, value: str) -> str:
        if project_key not in self.cache:
            self.cache[project_key] = self.parts(project_key)
        prefix, suffix = self.cache[project_key]
        return f"{prefix}{value}{suffix}"


def search_tickets(*, project_ids, query: str, limit: int, full_text: bool) -> list[SearchHit]:
    base = (
        Ticket.objects.filter(project_id__in=project_ids)
        .select_related("project", "status")
        .only("key", "title", "description", "updated_at", "project__key", "status__name")
    )
    if full_text:
        rows = _ranked(
            Ticket.objects.all(),
            table='"projects_ticket"',
            vector=TICKET_VECTOR,
            title_vector=TICKET_TITLE_VECTOR,
            project_ids=project_ids,
            query=query,
            limit=limit,
        )
        urls = _UrlParts(ticket_url_parts)
        return [
            SearchHit(
                type="ticket",
                title=f"{key} {title}",
                url=urls.around(project_key, key),
                project=project_key,
                snippet="",
                rank=float(rank),
                key=key,
                ref=pk,
            )
            for pk, key, title, project_key, rank in rows.values_list(
                "pk", "key", "title", "project__key", "search_rank"
            )
        ]
    rows, words = _fallback(base, title="title", body="description", query=query, limit=limit)
    return [
        SearchHit(
            type="ticket",
            title=f"{t.key} {t.title}",
            url=ticket_url(t.key),
            project=t.project.key,
            snippet=plain_snippet(t.description, words),
            rank=_fallback_rank(t.title, words),
            key=t.key,
        )
        for t in rows
    ]


def search_docs(*, project_ids, query: str, limit: int, full_text: bool) -> list[SearchHit]:
    base = (
        Doc.objects.filter(project_id__in=project_ids, deleted_at__isnull=True)
        .select_related("project")
        .only("title", "slug", "body", "updated_at", "project__key")
    )
    if full_text:
        rows = _ranked(
            Doc.objects.all(),
            table='"docs_hub_doc"',
            vector=DOC_VECTOR,
            title_vector=DOC_TITLE_VECTOR,
            project_ids=project_ids,
            query=query,
            limit=limit,
            where=' AND "docs_hub_doc"."deleted_at" IS NULL',
        )
        urls = _UrlParts(doc_url_parts)
        return [
            SearchHit(
                type="doc",
                title=title,
                url=urls.around(project_key, slug),
                project=project_key,
                snippet="",
                rank=float(rank),
                ref=pk,
            )
            for pk, title, slug, project_key, rank in rows.values_list(
                "pk", "title", "slug", "project__key", "search_rank"
            )
        ]
    rows, words = _fallback(base, title="title", body="body", query=query, limit=limit)
    return [
        SearchHit(
            type="doc",
            title=d.title,
            url=doc_url(d.project.key, d.slug),
            project=d.project.key,
            snippet=plain_snippet(d.body, words),
            rank=_fallback_rank(d.title, words),
        )
        for d in rows
    ]


def _best_snippet(*headlines: str) -> str:
    """The first field whose headline marks a match, else the first non-empty one."""
    for text in headlines:
        if text and START in text:
            return marked_to_html(text)
    return marked_to_html(next((text for text in headlines if text), ""))


def ticket_snippets(*, ids: list[int], query: str) -> dict[int, str]:
    """From the field that matched: the description, else the acceptance criteria (a title-only
    hit shows the start of its description)."""
    headlines = _headlines(
        Ticket, table='"projects_ticket"', ids=ids, query=query, columns=["description", "acceptance_criteria"]
    )
    return {pk: _best_snippet(*texts) for pk, texts in headlines.items()}


def doc_snippets(*, ids: list[int], query: str) -> dict[int, str]:
    headlines = _headlines(Doc, table='"docs_hub_doc"', ids=ids, query=query, columns=["body"])
    return {pk: marked_to_html(texts[0]) for pk, texts in headlines.items()}


def search_runs(*, project_ids, query: str, limit: int, full_text: bool) -> list[SearchHit]:
    """Runs by name or run id (on PostgreSQL through the indexes of docs_hub migration 0006)."""
    from ..macros import _run_url

    condition = Q(run_id__iexact=query) | Q(name__icontains=query)
    rows = (
        Run.objects.filter(condition, project_id__in=project_ids)
        .select_related("project")
        .only("name", "run_id", "metrics", "project__key")[:limit]
    )
    hits = []
    for run in rows:
        name = run.name or run.run_id
        metrics = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in list((run.metrics or {}).items())[:4]
        )
        hits.append(
            SearchHit(
                type="run",
                title=name,
                url=_run_url(run.project.key, run.run_id) or "",
                project=run.project.key,
                snippet=plain_snippet(metrics or run.run_id, [query]),
                rank=0.5 if full_text else 1.0,
            )
        )
    return hits


register_search_provider("ticket", search_tickets, snippets=ticket_snippets)
register_search_provider("doc", search_docs, snippets=doc_snippets)
register_search_provider("run", search_runs)

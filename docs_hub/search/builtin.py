"""The built-in search providers: tickets, docs, and runs when the experiments app has them.

On PostgreSQL: websearch_to_tsquery against the GIN-indexed weighted vectors
(titles A, bodies B; see vectors.py), ranked with ts_rank, snippets from ts_headline
(computed for the returned rows only). Elsewhere: every
word must appear in the title or body (icontains), title hits rank first."""
from django.db.models import Q
from django.db.models.expressions import RawSQL

from experiments.models import Run
from projects.models import Ticket

from ..links import doc_url, ticket_url
from ..models import Doc
from .providers import SearchHit, register_search_provider
from .snippets import HEADLINE_OPTIONS, marked_to_html, plain_snippet
from .vectors import DOC_VECTOR, SEARCH_CONFIG, TICKET_TITLE_VECTOR, TICKET_VECTOR

TSQUERY = f"websearch_to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)"


def _full_text(queryset, *, table: str, vector: str, rank_vector: str, body_column: str, query: str, limit: int,
               rank_floor: float = 0.0):
    return (
        queryset.annotate(
            search_rank=RawSQL(f"{rank_floor} + ts_rank({rank_vector}, {TSQUERY})", [query]),
            headline=RawSQL(
                f"ts_headline('{SEARCH_CONFIG}'::regconfig, coalesce({table}.{body_column}, ''), {TSQUERY}, %s)",
                [query, HEADLINE_OPTIONS],
            ),
        )
        .extra(where=[f"{vector} @@ {TSQUERY}"], params=[query])
        .order_by("-search_rank", "-id")[:limit]
    )


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


def search_tickets(*, project_ids, query: str, limit: int, full_text: bool) -> list[SearchHit]:
    base = Ticket.objects.filter(project_id__in=project_ids).select_related("project", "status").only(
        "key", "title", "description", "updated_at", "project__key", "status__name")
    if full_text:
        # Matched through the expression index; ranked on the title (a body-only hit gets the floor).
        rows = _full_text(base.defer("description"), table='"projects_ticket"', vector=TICKET_VECTOR,
                          rank_vector=TICKET_TITLE_VECTOR, rank_floor=0.05, body_column="description",
                          query=query, limit=limit)
        return [SearchHit(type="ticket", title=f"{t.key} {t.title}", url=ticket_url(t.project.key, t.key),
                          project=t.project.key, snippet=marked_to_html(t.headline), rank=float(t.search_rank),
                          key=t.key)
                for t in rows]
    rows, words = _fallback(base, title="title", body="description", query=query, limit=limit)
    return [SearchHit(type="ticket", title=f"{t.key} {t.title}", url=ticket_url(t.project.key, t.key),
                      project=t.project.key, snippet=plain_snippet(t.description, words),
                      rank=_fallback_rank(t.title, words), key=t.key) for t in rows]


def search_docs(*, project_ids, query: str, limit: int, full_text: bool) -> list[SearchHit]:
    base = Doc.objects.filter(project_id__in=project_ids, deleted_at__isnull=True).select_related("project").only(
        "title", "slug", "body", "updated_at", "project__key")
    if full_text:
        rows = _full_text(base.defer("body"), table='"docs_hub_doc"', vector=DOC_VECTOR, rank_vector=DOC_VECTOR,
                          body_column="body", query=query, limit=limit)
        return [SearchHit(type="doc", title=d.title, url=doc_url(d.project.key, d.slug), project=d.project.key,
                          snippet=marked_to_html(d.headline), rank=float(d.search_rank)) for d in rows]
    rows, words = _fallback(base, title="title", body="body", query=query, limit=limit)
    return [SearchHit(type="doc", title=d.title, url=doc_url(d.project.key, d.slug), project=d.project.key,
                      snippet=plain_snippet(d.body, words), rank=_fallback_rank(d.title, words)) for d in rows]


def search_runs(*, project_ids, query: str, limit: int, full_text: bool) -> list[SearchHit]:
    """Runs by name or run id."""
    from ..macros import _run_url

    condition = Q(run_id__iexact=query) | Q(name__icontains=query)
    rows = Run.objects.filter(condition, project_id__in=project_ids).select_related("project")[:limit]
    hits = []
    for run in rows:
        name = run.name or run.run_id
        metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in list((run.metrics or {}).items())[:4])
        hits.append(SearchHit(type="run", title=name, url=_run_url(run.project.key, run.run_id) or "",
                              project=run.project.key, snippet=plain_snippet(metrics or run.run_id, [query]),
                              rank=0.5 if full_text else 1.0))
    return hits


register_search_provider("ticket", search_tickets)
register_search_provider("doc", search_docs)
register_search_provider("run", search_runs)

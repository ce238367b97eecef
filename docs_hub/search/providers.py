"""Search is a set of providers (tickets, docs, runs...), each answering one query for the
projects a user belongs to. `search()` merges them, best match first. An app adds a kind
with `register_search_provider`. A provider whose snippets are costly returns hits with
`ref` (its row id) and no snippet, and registers a snippet loader: `search()` calls it once,
for the hits of that kind that made the final list."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from projects.models import Membership, Project


@dataclass
class SearchHit:
    type: str
    title: str
    url: str
    project: str
    snippet: str  # safe HTML: escaped text with <mark> around matches
    rank: float
    key: str = ""
    ref: int | None = None  # row id whose snippet the kind's snippet loader still has to make

    def as_dict(self) -> dict:
        data = {
            "type": self.type,
            "title": self.title,
            "url": self.url,
            "project": self.project,
            "snippet": self.snippet,
        }
        if self.key:
            data["key"] = self.key
        return data


# name -> provider(*, project_ids, query, limit, full_text) -> list[SearchHit]
providers: dict[str, Callable] = {}
# name -> loader(*, ids, query) -> {ref: snippet}
snippet_loaders: dict[str, Callable] = {}


def register_search_provider(name: str, provider: Callable, *, snippets: Callable | None = None) -> Callable:
    providers[name] = provider
    if snippets is not None:
        snippet_loaders[name] = snippets
    return provider


def visible_project_ids(user, project: Project | None = None):
    """A subquery of the project ids the user is a member of (narrowed to one project)."""
    memberships = Membership.objects.filter(user=user)
    if project is not None:
        memberships = memberships.filter(project=project)
    return memberships.values("project_id")


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search(
    *, user, query: str, project: Project | None = None, types: set[str] | None = None, limit: int = 20
) -> list[SearchHit]:
    """What the user may see that matches `query`: one query per provider, plus one per kind
    among the results whose snippets are made afterwards."""
    query = (query or "").strip()[:200]
    if not query or not getattr(user, "is_authenticated", False):
        return []
    project_ids = visible_project_ids(user, project)
    full_text = uses_full_text()
    hits: list[SearchHit] = []
    for name, provider in providers.items():
        if types and name not in types:
            continue
        hits.extend(provider(project_ids=project_ids, query=query, limit=limit, full_text=full_text))
    hits.sort(key=lambda hit: hit.rank, reverse=True)
    hits = hits[:limit]
    waiting: dict[str, list[SearchHit]] = {}
    for hit in hits:
        if hit.ref is not None and hit.type in snippet_loaders:
            waiting.setdefault(hit.type, []).append(hit)
    for kind, kind_hits in waiting.items():
        snippets = snippet_loaders[kind](ids=[hit.ref for hit in kind_hits], query=query)
        for hit in kind_hits:
            hit.snippet = snippets.get(hit.ref, "")
    return hits

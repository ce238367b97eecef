"""Search is a set of providers (tickets, docs, runs...), each answering one query for the
projects a user belongs to. `search()` merges them, best match first. An app adds a kind
with `register_search_provider`."""
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

    def as_dict(self) -> dict:
        data = {"type": self.type, "title": self.title, "url": self.url, "project": self.project,
                "snippet": self.snippet}
        if self.key:
            data["key"] = self.key
        return data


# name -> provider(*, project_ids, query, limit, full_text) -> list[SearchHit]
providers: dict[str, Callable] = {}


def register_search_provider(name: str, provider: Callable) -> Callable:
    providers[name] = provider
    return provider


def visible_project_ids(user, project: Project | None = None):
    """A subquery of the project ids the user is a member of (narrowed to one project)."""
    memberships = Membership.objects.filter(user=user)
    if project is not None:
        memberships = memberships.filter(project=project)
    return memberships.values("project_id")


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search(*, user, query: str, project: Project | None = None, types: set[str] | None = None,
           limit: int = 20) -> list[SearchHit]:
    """What the user may see that matches `query`: one query per provider."""
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
    return hits[:limit]

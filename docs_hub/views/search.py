"""The search page behind the header's search box."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from aihub.htmx import partial_template
from projects.access import projects_for

from ..search import search

TYPE_LABELS = {"ticket": "Tickets", "doc": "Docs", "run": "Runs"}


@login_required
def search_page(request):
    query = request.GET.get("q", "").strip()
    project_key = request.GET.get("project", "").strip().upper()
    project = projects_for(request.user).filter(key=project_key).first() if project_key else None
    hits = (
        search(user=request.user, query=query, project=project, limit=50)
        if query and (project or not project_key)
        else []
    )
    groups: dict[str, list] = {}
    for hit in hits:
        groups.setdefault(hit.type, []).append(hit)
    grouped = [
        {"type": kind, "label": TYPE_LABELS.get(kind, kind.title()), "hits": groups[kind]}
        for kind in ("ticket", "doc", "run")
        if kind in groups
    ]
    context = {"query": query, "project_filter": project, "groups": grouped, "total": len(hits), "hits": hits}
    return render(request, partial_template(request, "docs_hub/search.html", "results"), context)

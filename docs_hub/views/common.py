"""What every docs page does first: resolve the project (404 for non-members, 403 for a
role that may not), then the doc by slug (an old slug redirects to the current one)."""

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from projects.access import Action, can, project_for

from .. import selectors


class SlugMoved(Exception):
    def __init__(self, response):
        self.response = response


def doc_for(request, key: str, slug: str, action: Action = Action.VIEW):
    project = project_for(request.user, key, action)
    doc, current_slug = selectors.doc_by_slug(project=project, slug=slug)
    if doc is None and current_slug and request.method not in ("GET", "HEAD"):
        # Renamed while someone was editing: their save still reaches the page (and its
        # version check), instead of losing their text to a 404.
        doc, _ = selectors.doc_by_slug(project=project, slug=current_slug)
    if doc is None:
        if current_slug and request.method in ("GET", "HEAD"):
            match = request.resolver_match
            kwargs = {**match.kwargs, "slug": current_slug}
            response = redirect(f"{match.namespace}:{match.url_name}", permanent=True, **kwargs)
            if request.GET:
                response["Location"] += f"?{request.GET.urlencode()}"
            raise SlugMoved(response)
        raise Http404("No such page.")
    doc.project = project
    return project, doc


def moved_slug_redirects(view):
    """Answer a renamed doc's old URL with a permanent redirect to the new one."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SlugMoved as moved:
            return moved.response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def tree_context(project, *, current_id: int | None = None, under: str | None = None, start: int = 0) -> dict:
    """The side tree, bounded (selectors.tree_rows): the current page and its ancestors open,
    or, for the `?under=<slug>&from=N` links without htmx, that list shown up to N + a cap."""
    roots = selectors.doc_tree(project=project)
    shown = {}
    if under is not None:
        parent = selectors.tree_ancestors(roots, _id_of(roots, under)) if under else []
        if under and not parent:
            raise Http404("No such page.")
        shown[parent[0].id if parent else None] = start + selectors.TREE_CAP
        current_id = current_id or (parent[0].id if parent else None)
    keep_open = {node.id for node in selectors.tree_ancestors(roots, current_id)}
    return {
        "tree": selectors.tree_rows(roots, keep_open=keep_open, shown=shown),
        "tree_url": reverse("docs_hub:index", kwargs={"key": project.key}),
    }


def tree_fragment_context(project, *, under: str, start: int, stop: int | None = None) -> dict:
    """The rows an htmx tree link loads: a page's children (`under`, "" for the top level)
    from `start` (up to `stop`), as bounded as the tree itself."""
    roots = selectors.doc_tree(project=project)
    parent = selectors.tree_ancestors(roots, _id_of(roots, under))[:1] if under else []
    if under and not parent:
        raise Http404("No such page.")
    siblings = parent[0].children if parent else roots
    return {
        "tree": selectors.tree_rows(siblings, start=start, stop=stop, parent=parent[0] if parent else None),
        "tree_url": reverse("docs_hub:index", kwargs={"key": project.key}),
    }


def _id_of(roots, slug: str) -> int | None:
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.slug == slug:
            return node.id
        stack.extend(node.children)
    return None


def page_context(project, **extra) -> dict:
    return {"project": project, "can_edit": can(project, Action.EDIT), "can_admin": can(project, Action.ADMIN), **extra}

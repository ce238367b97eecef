"""What every docs page does first: resolve the project (404 for non-members, 403 for a
role that may not), then the doc by slug (an old slug redirects to the current one)."""
from django.http import Http404
from django.shortcuts import redirect

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


def page_context(project, **extra) -> dict:
    return {"project": project, "can_edit": can(project, Action.EDIT), "can_admin": can(project, Action.ADMIN),
            **extra}

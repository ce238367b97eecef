from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from aihub.htmx import partial_template, wants_partial

from .. import selectors
from ..access import Action, can, project_for
from .health import forecast_context


@login_required
def project_dashboard(request, key):
    """The dashboard: a section of the hub (htmx fragment) or a page of its own."""
    project = project_for(request.user, key)
    data = selectors.project_dashboard(project=project)
    as_section = wants_partial(request)
    context = {
        "project": project,
        "as_section": as_section,  # the hub's section has a heading of its own
        "can_admin": can(project, Action.ADMIN),
        **data,
    }
    if not as_section:  # the page: health at the top, the forecast (projects.views.health)
        context["health"] = selectors.project_health(project)
        context.update(forecast_context(project, request.GET))
    return render(request, partial_template(request, "projects/dashboard.html", "dashboard"), context)

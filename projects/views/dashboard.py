from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from aihub.htmx import partial_template, wants_partial

from .. import selectors
from ..access import Action, can, project_for
from ..selectors.sprints import history_read_once


@login_required
def project_dashboard(request, key):
    """The dashboard: a section of the hub (htmx fragment) or a page of its own."""
    project = project_for(request.user, key)
    as_section = wants_partial(request)
    with history_read_once():  # the burndown and the health's burndown rule read one sprint's history
        data = selectors.project_dashboard(project=project)
        health = None if as_section else selectors.project_health(project)
    context = {
        "project": project,
        "as_section": as_section,  # the hub's section has a heading of its own
        "can_admin": can(project, Action.ADMIN),
        **data,
    }
    if not as_section:  # the page: health at the top, then the forecast, loaded right after the page
        context["health"] = health
        # projects.views.health.forecast_section answers it (its own query budget), with
        # the page's scope (?scope=epic&epic=CV-3) passed on.
        query = request.GET.urlencode()
        context["forecast_url"] = reverse("projects:forecast", kwargs={"key": project.key}) + (
            f"?{query}" if query else ""
        )
    return render(request, partial_template(request, "projects/dashboard.html", "dashboard"), context)

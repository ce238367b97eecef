from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import selectors
from ..access import project_for


@login_required
def project_dashboard(request, key):
    """The dashboard: a section of the hub (htmx fragment) or a page of its own."""
    project = project_for(request.user, key)
    data = selectors.project_dashboard(project=project)
    context = {
        "project": project,
        **data,
    }
    template = "projects/dashboard.html#dashboard" if request.htmx else "projects/dashboard.html"
    return render(request, template, context)

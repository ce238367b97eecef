from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from aihub.htmx import partial_template, wants_partial

from .. import selectors
from ..access import project_for


@login_required
def project_dashboard(request, key):
    """The dashboard: a section of the hub (htmx fragment) or a page of its own."""
    project = project_for(request.user, key)
    data = selectors.project_dashboard(project=project)
    context = {
        "project": project,
        "as_section": wants_partial(request),  # the hub's section has a heading of its own
        **data,
    }
    return render(request, partial_template(request, "projects/dashboard.html", "dashboard"), context)

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
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
        "burndown_json": json.dumps(data["burndown"], cls=DjangoJSONEncoder) if data["burndown"] else "",
        "velocity_json": json.dumps(data["velocity"], cls=DjangoJSONEncoder),
    }
    template = "projects/dashboard.html#dashboard" if request.htmx else "projects/dashboard.html"
    return render(request, template, context)

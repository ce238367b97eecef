"""The backlog's "Export CSV": the tickets the backlog lists with its current filters."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from ..access import project_for
from ..csv_stream import tickets_csv_response


@login_required
@require_GET
def backlog_csv(request, key):
    project = project_for(request.user, key)
    return tickets_csv_response(project=project, query=request.GET, user=request.user, backlog=True)

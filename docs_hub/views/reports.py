"""Status reports: the dashboard's section (the latest reports, the schedule, and
"Generate now" for members) and the POST that writes a report now."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from projects.access import Action, project_for

from .. import selectors, services
from ..links import doc_url
from .common import page_context


@login_required
def reports_section(request, key):
    """The "Status reports" section of the dashboard (an htmx fragment)."""
    project = project_for(request.user, key)
    context = page_context(
        project,
        reports=selectors.status_reports(project=project, limit=5),
        parent=selectors.status_reports_parent(project=project),
    )
    return render(request, "docs_hub/_reports_section.html", context)


@login_required
@require_POST
def report_generate(request, key):
    """Write a status report now (members and admins) and open it."""
    project = project_for(request.user, key, Action.EDIT)
    report = services.status_report_generate(project=project, user=request.user)
    messages.success(request, f"Status report written: {report.doc.title}.")
    return redirect(doc_url(project.key, report.doc.slug))

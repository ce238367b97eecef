"""The project's audit log page (admins only): every write to the project through the
pages and the API, newest first, filtered by user, action, object type and dates."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.audit import AUDIT_FILTERS, audit_choices, audit_entries, audit_filters_from

from ..access import Action, can, project_for

PAGE_SIZE = 50


@login_required
def audit_log(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    filters, errors = audit_filters_from(request.GET)
    page = Paginator(audit_entries(project_id=project.pk, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = {name: request.GET[name] for name in AUDIT_FILTERS if request.GET.get(name) and name not in errors}
    context = {
        "project": project,
        "can_edit": can(project, Action.EDIT),
        "can_admin": True,
        "page": page,
        "entries": list(page.object_list),
        "choices": audit_choices(project_id=project.pk),
        "current": query,
        "errors": errors,
        "next_query": urlencode({**query, "page": page.next_page_number()}) if page.has_next() else "",
        "previous_query": urlencode({**query, "page": page.previous_page_number()}) if page.has_previous() else "",
    }
    return render(request, "projects/audit_log.html", context)

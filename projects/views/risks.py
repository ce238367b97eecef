"""The risk register: the list with its likelihood x impact heat map (filtered by status
and by a cell, sorted by score or review date), one risk, the create and edit forms (a
stale edit answers 409 with both versions side by side), closing, deleting, and the
small "Risks" panel of the ticket page. Viewers read; members and admins write."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from aihub.exceptions import StaleVersion
from aihub.forms import add_service_errors
from aihub.htmx import wants_partial

from .. import selectors, services
from ..access import Action, can, project_for
from ..forms import RiskForm, risk_initial
from ..models import HIGH_RISK_SCORE, Project, Risk

STATUS_TABS = (
    ("active", "Open and mitigating"),
    ("open", "Open"),
    ("mitigating", "Mitigating"),
    ("accepted", "Accepted"),
    ("closed", "Closed"),
    ("all", "All"),
)


def _risk_or_404(project: Project, risk_id: int) -> Risk:
    risk = selectors.risk_for_page(project=project, risk_id=risk_id)
    if risk is None:
        raise Http404("No such risk in this project.")
    return risk


def _url_with(base: str, params: dict) -> str:
    return f"{base}?{urlencode(params)}" if params else base


@login_required
def risk_list(request, key):
    project = project_for(request.user, key)
    filters = selectors.RiskFilters.from_query(request.GET)
    base = reverse("projects:risks", kwargs={"key": project.key})
    today = timezone.localdate()
    risks = list(selectors.risk_list(project=project, filters=filters))
    for risk in risks:
        risk.overdue = risk.review_overdue(today)
    heatmap = selectors.risk_heatmap(project=project, filters=filters)
    for row in heatmap["rows"]:
        for cell in row["cells"]:
            cell["url"] = _url_with(
                base, filters.query(likelihood=cell["likelihood"], impact=cell["impact"], high=None)
            )
            cell["selected"] = (cell["likelihood"], cell["impact"]) == (filters.likelihood, filters.impact)
    context = {
        "project": project,
        "risks": risks,
        "heatmap": heatmap,
        "filters": filters,
        "can_edit": can(project, Action.EDIT),
        "high_score": HIGH_RISK_SCORE,
        "status_tabs": [
            {"label": label, "url": _url_with(base, filters.query(status=value)), "current": filters.status == value}
            for value, label in STATUS_TABS
        ],
        "sorts": [
            {"label": label, "url": _url_with(base, filters.query(sort=value)), "current": filters.sort == value}
            for value, label in selectors.RISK_SORTS.items()
        ],
        "clear_cell_url": _url_with(base, filters.query(likelihood=None, impact=None, high=None)),
        "high_url": _url_with(base, filters.query(likelihood=None, impact=None, high="1")),
        "cell_filtered": filters.likelihood is not None or filters.impact is not None or filters.high,
    }
    return render(request, "projects/risks.html", context)


@login_required
def risk_detail(request, key, risk_id):
    project = project_for(request.user, key)
    risk = _risk_or_404(project, risk_id)
    return render(request, "projects/risk_detail.html", _detail_context(project, risk))


def _detail_context(project: Project, risk: Risk, **extra) -> dict:
    risk.overdue = risk.review_overdue(timezone.localdate())
    return {
        "project": project,
        "risk": risk,
        "can_edit": can(project, Action.EDIT),
        "high_score": HIGH_RISK_SCORE,
        **extra,
    }


@login_required
def risk_create(request, key):
    project = project_for(request.user, key, Action.EDIT)
    members = selectors.project_members(project=project)
    form = RiskForm(
        request.POST or None,
        members=members,
        initial={"owner": request.user.username, "tickets": request.GET.get("tickets", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.risk_create(project=project, user=request.user, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Risk “{risk.title}” added.")
            return redirect("projects:risk", key=project.key, risk_id=risk.pk)
    return render(request, "projects/risk_form.html", {"project": project, "form": form, "risk": None})


@login_required
def risk_edit(request, key, risk_id):
    """The edit form. A save based on an old version is refused with 409: the page shows
    what is saved now (and who saved it) beside the form, which keeps what was typed and
    now carries the current version, so saving again replaces theirs knowingly."""
    project = project_for(request.user, key, Action.EDIT)
    risk = _risk_or_404(project, risk_id)
    members = selectors.project_members(project=project)
    if request.method != "POST":
        form = RiskForm(members=members, initial=risk_initial(risk))
        return render(request, "projects/risk_form.html", {"project": project, "form": form, "risk": risk})
    form = RiskForm(request.POST, members=members)
    if form.is_valid():
        try:
            services.risk_update(
                risk=risk, user=request.user, version=form.cleaned_data["version"], **form.service_data()
            )
        except StaleVersion:
            return _conflict(request, project, risk_id, members)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Risk saved.")
            return redirect("projects:risk", key=project.key, risk_id=risk.pk)
    return render(request, "projects/risk_form.html", {"project": project, "form": form, "risk": risk})


def _conflict(request, project, risk_id, members):
    current = _risk_or_404(project, risk_id)
    data = request.POST.copy()
    data["version"] = current.version
    form = RiskForm(data, members=members)
    form.is_valid()
    context = {"project": project, "form": form, "risk": current, "conflict": True}
    return render(request, "projects/risk_form.html", context, status=409)


@login_required
@require_POST
def risk_close(request, key, risk_id):
    """Close the risk. Based on a stale version: 409, the page as it is now with a note."""
    project = project_for(request.user, key, Action.EDIT)
    risk = _risk_or_404(project, risk_id)
    version = request.POST.get("version", "")
    try:
        services.risk_close(risk=risk, user=request.user, version=int(version) if version.isdigit() else None)
    except StaleVersion:
        current = _risk_or_404(project, risk_id)
        return render(
            request, "projects/risk_detail.html", _detail_context(project, current, close_conflict=True), status=409
        )
    messages.success(request, f"Risk “{risk.title}” closed.")
    return redirect("projects:risk", key=project.key, risk_id=risk.pk)


@login_required
@require_POST
def risk_delete(request, key, risk_id):
    project = project_for(request.user, key, Action.EDIT)
    risk = _risk_or_404(project, risk_id)
    services.risk_delete(risk=risk, user=request.user)
    messages.success(request, f"Risk “{risk.title}” deleted.")
    url = reverse("projects:risks", kwargs={"key": project.key})
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


@login_required
def ticket_risks(request, key, ticket_key):
    """The ticket page's "Risks" panel (an htmx fragment): the risks that name this ticket."""
    project = project_for(request.user, key)
    ticket = project.tickets.filter(key=ticket_key).only("id", "key", "project_id").first()
    if ticket is None:
        raise Http404("No such ticket in this project.")
    today = timezone.localdate()
    risks = list(selectors.ticket_risks(ticket=ticket))
    for risk in risks:
        risk.overdue = risk.review_overdue(today)
    context = {
        "project": project,
        "ticket": ticket,
        "risks": risks,
        "can_edit": can(project, Action.EDIT),
    }
    return render(request, "projects/ticket_risks.html", context)

"""The ticket panel (an htmx fragment on the ticket page): linked runs with headline
metrics, compute actuals beside the estimate, metric gates, link and unlink with search."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial
from projects.access import Action, can, get_scoped_or_404
from projects.models import Ticket

from .. import selectors, services
from ..forms import GateForm, LinkRunForm
from ..models import MetricGate, Run


def _ticket(request, key, ticket_key, action=Action.VIEW) -> Ticket:
    return get_scoped_or_404(
        Ticket.objects.select_related("project", "status"), request.user, action, key=ticket_key, project__key=key
    )


def _panel(request, ticket, *, gate_form=None, link_form=None, status=200, unlinked=None):
    runs = selectors.ticket_runs(ticket=ticket)
    gates = selectors.gate_statuses_for_tickets([ticket.pk]).get(ticket.pk, [])
    context = {
        "ticket": ticket,
        "project": ticket.project,
        "runs": runs,
        "gates": gates,
        "headline": selectors.headline_metrics(runs, gates),
        "can_edit": can(ticket, Action.EDIT),
        "compute_seconds": selectors.compute_actuals(runs),
        "gate_form": gate_form or GateForm(),
        "link_form": link_form or LinkRunForm(),
        "regressions": selectors.regressions_for_runs([r.pk for r in runs]),
        "blocking": [g for g in gates if g["status"] != "pass"],
        "unlinked": unlinked,  # just unlinked: the panel offers to undo it
    }
    return render(request, "experiments/ticket_panel.html", context, status=status)


@login_required
def ticket_panel(request, key, ticket_key):
    return _panel(request, _ticket(request, key, ticket_key))


@login_required
def ticket_run_search(request, key, ticket_key):
    ticket = _ticket(request, key, ticket_key)
    q = request.GET.get("q", "").strip()
    results, error = [], ""
    if q:
        try:
            results = list(
                selectors.runs_filtered(project=ticket.project, q=q).exclude(links__ticket=ticket, links__active=True)[
                    :10
                ]
            )
        except ValidationError as refused:  # the run filter language refused `q`
            error = " ".join(refused.messages)
    return render(
        request,
        "experiments/ticket_panel.html#search-results",
        {
            "ticket": ticket,
            "project": ticket.project,
            "results": results,
            "q": q,
            "error": error,
            "can_edit": can(ticket, Action.EDIT),
        },
        status=400 if error and not wants_partial(request) else 200,
    )


def _done(request, ticket, **panel_kwargs):
    """htmx: the refreshed panel. Without htmx: back to the page the form was on."""
    if wants_partial(request):
        return _panel(request, ticket, **panel_kwargs)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("experiments:ticket_panel", kwargs={"key": ticket.project.key, "ticket_key": ticket.key})
    return redirect(back)


@login_required
@require_POST
def ticket_link_run(request, key, ticket_key):
    ticket = _ticket(request, key, ticket_key, Action.EDIT)
    form = LinkRunForm(request.POST)
    if form.is_valid():
        run = (
            Run.objects.filter(project=ticket.project, run_id=form.cleaned_data["run_id"].strip())
            .order_by("deleted", "-pk")
            .first()
        )
        if run is None:
            form.add_error("run_id", "No run with this id in the project.")
        else:
            try:
                services.run_link(run=run, ticket=ticket, user=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
    if form.errors:
        return _panel(request, ticket, link_form=form, status=200)
    return _done(request, ticket)


@login_required
@require_POST
def ticket_unlink_run(request, key, ticket_key, run_id):
    ticket = _ticket(request, key, ticket_key, Action.EDIT)
    run = Run.objects.filter(project=ticket.project, run_id=run_id).order_by("deleted", "-pk").first()
    if run is None:
        raise Http404
    try:
        services.run_unlink(run=run, ticket=ticket, user=request.user)
    except ValidationError:
        return _done(request, ticket)  # already unlinked (a double click): the panel shows the current state
    return _done(request, ticket, unlinked=run)


@login_required
@require_POST
def ticket_gate_add(request, key, ticket_key):
    ticket = _ticket(request, key, ticket_key, Action.EDIT)
    form = GateForm(request.POST)
    if form.is_valid():
        try:
            services.gate_create(ticket=ticket, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return _panel(request, ticket, gate_form=form)
    return _done(request, ticket)


@login_required
@require_POST
def ticket_gate_delete(request, key, ticket_key, gate_id):
    ticket = _ticket(request, key, ticket_key, Action.EDIT)
    gate = get_object_or_404(MetricGate, pk=gate_id, ticket=ticket)
    services.gate_delete(gate=gate, user=request.user)
    return _done(request, ticket)

"""Relations on the ticket page (blocks, relates to): add one, remove one."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial

from .. import services
from ..access import Action, project_for
from ..forms import RelationForm
from ..models import Ticket, TicketRelation
from .tickets import ticket_or_404, ticket_section


@login_required
@require_POST
def ticket_relation_add(request, key, ticket_key):
    project = project_for(request.user, key, Action.EDIT)
    ticket = ticket_or_404(project, ticket_key)
    form = RelationForm(request.POST)
    if form.is_valid():
        other = Ticket.objects.filter(project=project, key=form.cleaned_data["other"].strip().upper()).first()
        if other is None:
            form.add_error("other", f"No ticket {form.cleaned_data['other']} in {project.key}.")
        else:
            try:
                services.relation_add(ticket=ticket, other=other, kind=form.cleaned_data["kind"], user=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                form = RelationForm()
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return ticket_section(request, project, ticket, "relations", relation_form=form)


@login_required
@require_POST
def ticket_relation_remove(request, key, ticket_key, relation_id):
    project = project_for(request.user, key, Action.EDIT)
    ticket = ticket_or_404(project, ticket_key)
    relation = get_object_or_404(
        TicketRelation.objects.select_related("source", "target"), pk=relation_id, source__project=project
    )
    if ticket.pk not in (relation.source_id, relation.target_id):
        raise Http404
    services.relation_remove(relation=relation, ticket=ticket, user=request.user)
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return ticket_section(request, project, ticket, "relations")

"""Sub-tasks on the ticket page: a new child ticket (a story under an epic, else a task)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial

from .. import services
from ..access import Action, project_for
from ..forms import SubtaskForm
from .tickets import ticket_or_404, ticket_section


@login_required
@require_POST
def ticket_subtask(request, key, ticket_key):
    project = project_for(request.user, key, Action.EDIT)
    ticket = ticket_or_404(project, ticket_key)
    form = SubtaskForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_create(
                project=project,
                reporter=request.user,
                title=form.cleaned_data["title"],
                parent=ticket,
                sprint=ticket.sprint,
                type="story" if ticket.type == "epic" else "task",
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = SubtaskForm()
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return ticket_section(request, project, ticket, "children", subtask_form=form)

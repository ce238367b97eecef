"""Comments on the ticket page: add one, delete one (the comments section re-renders)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial

from .. import services
from ..access import Action, project_for
from ..forms import CommentForm
from ..models import Comment
from .tickets import ticket_or_404, ticket_section


@login_required
@require_POST
def ticket_comment(request, key, ticket_key):
    project = project_for(request.user, key, Action.EDIT)
    ticket = ticket_or_404(project, ticket_key)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(ticket=ticket, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = CommentForm()
    if not wants_partial(request):
        if form.errors:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return ticket_section(request, project, ticket, "comments", comment_form=form)


@login_required
@require_POST
def ticket_comment_delete(request, key, ticket_key, comment_id):
    project = project_for(request.user, key, Action.EDIT)
    ticket = ticket_or_404(project, ticket_key)
    comment = get_object_or_404(Comment, ticket=ticket, pk=comment_id)
    try:
        services.comment_delete(comment=comment, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if not wants_partial(request):
        return redirect("projects:ticket", key=project.key, ticket_key=ticket.key)
    return ticket_section(request, project, ticket, "comments")

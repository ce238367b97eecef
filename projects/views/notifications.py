"""In-app notifications (assigned, @mentioned, added to a project): the list, marking
them read, and opening one (which marks it read)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from aihub.htmx import wants_partial

from .. import services
from ..models import Notification


@login_required
def notifications(request):
    items = (
        Notification.objects.filter(recipient=request.user)
        .select_related("actor", "ticket__project", "project")
        .order_by("-created_at", "-id")[:100]
    )
    return render(request, "projects/notifications.html", {"notifications": items})


@login_required
@require_POST
def notifications_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    services.notifications_mark_read(user=request.user, ids=ids)
    if wants_partial(request):
        response = HttpResponse(status=204)
        return trigger_client_event(response, "notifications:changed", {})
    return redirect("projects:notifications")


@login_required
def notification_open(request, notification_id):
    """Mark one notification read and go to its ticket."""
    notification = get_object_or_404(
        Notification.objects.select_related("ticket__project", "project"), pk=notification_id, recipient=request.user
    )
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    if notification.ticket is None and notification.project is not None:
        return redirect("projects:hub", key=notification.project.key)
    if notification.ticket is None:
        return redirect("projects:notifications")
    return redirect("projects:ticket", key=notification.ticket.project.key, ticket_key=notification.ticket.key)

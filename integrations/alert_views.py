"""Project settings → Alert intake: the URL to give Alertmanager, a new token (shown once),
the options and the recent deliveries. Project admins only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from projects.access import Action, project_for

from . import alerts
from .models import AlertIntake


@login_required
def alert_intake_settings(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    intake = AlertIntake.objects.filter(project=project).first()
    new_token = ""
    errors = {}
    if request.method == "POST":
        if request.POST.get("action") == "token":
            intake, new_token = alerts.alert_intake_token_rotate(project=project, user=request.user)
            messages.success(request, "New token generated: copy it now, it is not shown again.")
        elif intake is not None:
            try:
                minutes = int(request.POST.get("repeat_comment_minutes", ""))
            except ValueError:
                errors["repeat_comment_minutes"] = ["Give a whole number of minutes (0 for none)."]
            else:
                try:
                    alerts.alert_intake_update(
                        intake=intake,
                        repeat_comment_minutes=minutes,
                        resolve_status=request.POST.get("resolve_status", ""),
                    )
                except ValidationError as exc:
                    errors = exc.message_dict
                else:
                    messages.success(request, "Alert intake options saved.")
                    return redirect("alert_intake_settings", key=project.key)
    url = request.build_absolute_uri(reverse("alert-intake-receive", kwargs={"key": project.key}))
    return render(
        request,
        "integrations/alert_intake.html",
        {
            "project": project,
            "can_admin": True,
            "can_edit": True,
            "intake": intake,
            "intake_url": url,
            "new_token": new_token,
            "errors": errors,
            "statuses": list(project.statuses.order_by("position", "id")),
            "deliveries": list(intake.deliveries.all()[:20]) if intake else [],
        },
        status=400 if errors else 200,
    )

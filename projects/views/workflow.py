"""Project settings for admins: the workflow (statuses, WIP limits) and custom fields."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors

from .. import services
from ..access import Action, project_for
from ..forms import CustomFieldForm, StatusForm
from ..models import CustomField, WorkflowStatus


@login_required
def workflow_settings(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            status = services.status_add(project=project, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Status “{status.name}” added.")
            return redirect("projects:workflow", key=project.key)
    statuses = project.statuses.annotate(ticket_count=Count("tickets")).order_by("position", "id")
    return render(request, "projects/workflow.html", {"project": project, "form": form, "statuses": statuses})


@login_required
@require_POST
def workflow_status_update(request, key, status_id):
    project = project_for(request.user, key, Action.ADMIN)
    status = get_object_or_404(WorkflowStatus, project=project, pk=status_id)
    action = request.POST.get("action", "save")
    try:
        if action in ("left", "right"):
            services.status_move(status=status, offset=-1 if action == "left" else 1)
        elif action == "delete":
            move_to = WorkflowStatus.objects.filter(project=project, slug=request.POST.get("move_to", "")).first()
            services.status_delete(status=status, move_to=move_to)
            messages.success(request, f"Status “{status.name}” removed.")
        else:
            form = StatusForm(request.POST)
            if not form.is_valid():
                raise ValidationError({k: v for k, v in form.errors.items()})
            services.status_update(
                status=status,
                name=form.cleaned_data["name"],
                is_finished=form.cleaned_data["is_finished"],
                wip_limit=form.cleaned_data["wip_limit"],
            )
            messages.success(request, f"Status “{status.name}” saved.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("projects:workflow", key=project.key)


@login_required
def custom_fields_settings(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            field = services.custom_field_create(project=project, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Field “{field.name}” added: it shows on every ticket of {project.key}.")
            return redirect("projects:custom_fields", key=project.key)
    fields = project.custom_fields.order_by("position", "id")
    return render(request, "projects/custom_fields.html", {"project": project, "form": form, "fields": fields})


@login_required
@require_POST
def custom_field_update(request, key, field_id):
    project = project_for(request.user, key, Action.ADMIN)
    field = get_object_or_404(CustomField, project=project, pk=field_id)
    try:
        if request.POST.get("action") == "delete":
            services.custom_field_delete(field=field)
            messages.success(request, f"Field “{field.name}” and its values deleted.")
        else:
            services.custom_field_update(
                field=field,
                name=request.POST.get("name", field.name),
                options=request.POST.get("options") if "options" in request.POST else None,
                show_on_card=request.POST.get("show_on_card") == "on",
            )
            messages.success(request, f"Field “{field.name}” saved.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("projects:custom_fields", key=project.key)

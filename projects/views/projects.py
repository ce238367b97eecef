"""Pages for projects and their members. Views resolve the project through `access`,
bind a form, call one service and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors

from .. import selectors, services
from ..access import Action, can, project_for
from ..forms import InviteForm, ProjectForm, ProjectSettingsForm, RoleForm
from ..models import Membership, Phase


@login_required
def project_list(request):
    return render(request, "projects/project_list.html", {"projects": selectors.project_list(user=request.user)})


@login_required
def project_create(request):
    templates = selectors.project_templates_for(user=request.user)
    initial = {"template": request.GET.get("template", "")}
    form = ProjectForm(request.POST or None, templates=templates, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(creator=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Project {project.key} created.")
            return redirect("projects:hub", key=project.key)
    return render(request, "projects/project_form.html", {"form": form, "templates": templates})


def _project_context(request, project, **extra):
    return {
        "project": project,
        "can_edit": can(project, Action.EDIT),
        "can_admin": can(project, Action.ADMIN),
        **extra,
    }


@login_required
def project_hub(request, key):
    project = project_for(request.user, key)
    context = _project_context(
        request,
        project,
        members=selectors.project_members(project=project)[:12],
        phases=Phase.choices,
        health=selectors.project_health(project),
    )
    return render(request, "projects/hub.html", context)


@login_required
def project_settings(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    form = ProjectSettingsForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                project=project, actor=request.user, **{f: form.cleaned_data[f] for f in form.fields}
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Project settings saved.")
            return redirect("projects:hub", key=project.key)
    return render(
        request,
        "projects/settings.html",
        _project_context(
            request,
            project,
            form=form,
            saved_templates=selectors.saved_templates_for(user=request.user).filter(source_project=project),
        ),
    )


@login_required
@require_POST
def project_delete(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    if request.POST.get("confirm_key") != project.key:
        messages.error(request, f"Type the project key {project.key} to confirm deletion.")
        return redirect("projects:settings", key=project.key)
    services.project_delete(project=project)
    messages.success(request, f"Project {key} deleted.")
    return redirect("projects:list")


@login_required
def project_members(request, key):
    project = project_for(request.user, key)
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        project = project_for(request.user, key, Action.ADMIN)
        if form.is_valid():
            try:
                membership = services.membership_invite(
                    project=project,
                    inviter=request.user,
                    base_url=request.build_absolute_uri("/").rstrip("/"),
                    **form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{membership.user.username} joined {project.key} as {membership.role}.")
                return redirect("projects:members", key=project.key)
    context = _project_context(
        request, project, form=form, members=selectors.project_members(project=project), role_form=RoleForm()
    )
    return render(request, "projects/members.html", context)


@login_required
@require_POST
def member_change_role(request, key, membership_id):
    project = project_for(request.user, key, Action.ADMIN)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, project=project)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(request, f"{membership.user.username} is now {membership.role}.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("projects:members", key=project.key)


@login_required
@require_POST
def member_remove(request, key, membership_id):
    project = project_for(request.user, key, Action.ADMIN)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, project=project)
    try:
        services.membership_remove(membership=membership)
        messages.success(request, f"{membership.user.username} was removed from {project.key}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("projects:members", key=project.key)


@login_required
def project_leave(request, key):
    """Leave a project yourself, whatever your role (its last admin cannot): a confirmation
    page, then a POST."""
    project = project_for(request.user, key)
    error = ""
    if request.method == "POST":
        membership = get_object_or_404(
            Membership.objects.select_related("user", "project"), project=project, user=request.user
        )
        try:
            services.membership_remove(membership=membership, leaving=True)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, f"You left {project.key}.")
            return redirect("projects:list")
    return render(
        request, "projects/leave.html", _project_context(request, project, error=error), status=400 if error else 200
    )

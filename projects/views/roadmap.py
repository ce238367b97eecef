"""The Roadmap tab: the project's epics and milestones on a timeline (drawn server-side as
an inline SVG), the milestones with their linked epics, and the milestone forms. Viewers
read; members and admins add, edit, complete and delete milestones. A stale edit is
refused with 409 and the saved version shown beside the form."""

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

from ..access import Action, can, project_for
from ..forms.lifecycle import MilestoneForm, milestone_initial
from ..models import Milestone, Project
from ..selectors.lifecycle import epic_choices, milestone_for_page
from ..selectors.roadmap import roadmap as roadmap_layout
from ..services import lifecycle as services


def _milestone_or_404(project: Project, milestone_id: int) -> Milestone:
    milestone = milestone_for_page(project=project, milestone_id=milestone_id)
    if milestone is None:
        raise Http404("No such milestone in this project.")
    return milestone


def _roadmap_url(project: Project, milestone: Milestone | None = None) -> str:
    url = reverse("projects:roadmap", kwargs={"key": project.key})
    return f"{url}#milestone-{milestone.pk}" if milestone else url


@login_required
def roadmap(request, key):
    project = project_for(request.user, key)
    today = timezone.localdate()
    layout = roadmap_layout(project=project, today=today)
    context = {"project": project, "roadmap": layout, "can_edit": can(project, Action.EDIT), "today": today}
    return render(request, "projects/roadmap.html", context)


@login_required
def milestone_create(request, key):
    project = project_for(request.user, key, Action.EDIT)
    form = MilestoneForm(request.POST or None, epics=epic_choices(project=project))
    if request.method == "POST" and form.is_valid():
        try:
            milestone = services.milestone_create(project=project, user=request.user, **form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Milestone “{milestone.name}” added.")
            return redirect(_roadmap_url(project, milestone))
    return render(request, "projects/milestone_form.html", {"project": project, "form": form, "milestone": None})


@login_required
def milestone_edit(request, key, milestone_id):
    project = project_for(request.user, key, Action.EDIT)
    milestone = _milestone_or_404(project, milestone_id)
    epics = epic_choices(project=project)
    if request.method != "POST":
        form = MilestoneForm(epics=epics, initial=milestone_initial(milestone))
        return render(
            request, "projects/milestone_form.html", {"project": project, "form": form, "milestone": milestone}
        )
    form = MilestoneForm(request.POST, epics=epics)
    if form.is_valid():
        try:
            services.milestone_update(
                milestone=milestone, user=request.user, version=form.cleaned_data["version"], **form.service_data()
            )
        except StaleVersion:
            current = _milestone_or_404(project, milestone_id)
            data = request.POST.copy()
            data["version"] = current.version
            form = MilestoneForm(data, epics=epics)
            form.is_valid()
            context = {"project": project, "form": form, "milestone": current, "conflict": True}
            return render(request, "projects/milestone_form.html", context, status=409)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Milestone saved.")
            return redirect(_roadmap_url(project, milestone))
    return render(request, "projects/milestone_form.html", {"project": project, "form": form, "milestone": milestone})


@login_required
@require_POST
def milestone_complete(request, key, milestone_id):
    """Mark the milestone completed (completed=1) or open again (completed=0)."""
    project = project_for(request.user, key, Action.EDIT)
    milestone = _milestone_or_404(project, milestone_id)
    completed = request.POST.get("completed") == "1"
    services.milestone_update(milestone=milestone, user=request.user, completed=completed)
    messages.success(request, f"Milestone “{milestone.name}” {'completed' if completed else 'open again'}.")
    return redirect(_roadmap_url(project, milestone))


@login_required
@require_POST
def milestone_delete(request, key, milestone_id):
    project = project_for(request.user, key, Action.EDIT)
    milestone = _milestone_or_404(project, milestone_id)
    services.milestone_delete(milestone=milestone, user=request.user)
    messages.success(request, f"Milestone “{milestone.name}” deleted.")
    url = _roadmap_url(project)
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)

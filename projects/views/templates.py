"""Project templates from the settings page: save the project's structure as a template
(admins), delete a saved template."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..access import Action, project_for
from ..forms import SaveTemplateForm


def _errors(form_errors: dict) -> str:
    return " ".join(
        f"{field if field != '__all__' else ''} {' '.join(errors)}".strip() for field, errors in form_errors.items()
    )


@login_required
@require_POST
def project_save_as_template(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    form = SaveTemplateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not saved as a template: {_errors(form.errors)}")
        return redirect("projects:settings", key=project.key)
    try:
        template = services.project_template_save(project=project, user=request.user, **form.cleaned_data)
    except ValidationError as error:
        found = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        messages.error(request, f"Not saved as a template: {_errors(found)}")
    else:
        messages.success(request, f"Saved as the template “{template.name}”: choose it under New project.")
    return redirect("projects:settings", key=project.key)


@login_required
@require_POST
def project_template_delete(request, key, template_id):
    project = project_for(request.user, key, Action.ADMIN)
    template = get_object_or_404(
        selectors.saved_templates_for(user=request.user).filter(source_project=project), pk=template_id
    )
    services.project_template_delete(template=template, user=request.user)
    messages.success(request, f"Template “{template.name}” deleted.")
    return redirect("projects:settings", key=project.key)

"""Pages of the project archive: "Export project" (a download, admins) under project settings,
and "Import a project" (upload an archive and a key, then follow the job until it links to the
new project; the status panel polls itself with htmx while the job runs)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from projects.access import Action, project_for

from . import archive, selectors
from .api.archive import archive_response


class ImportForm(forms.Form):
    file = forms.FileField(label="Archive", help_text="A .zip from a project's Export (project settings).")
    key = forms.CharField(
        label="New project key", max_length=10, help_text="2 to 10 capital letters or digits, e.g. CV2."
    )


@login_required
@require_GET
def project_export(request, key):
    return archive_response(project_for(request.user, key, Action.ADMIN))


@login_required
def project_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = archive.import_start(
                user=request.user, key=form.cleaned_data["key"].strip(), upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            return redirect("project_import_job", job_id=job.pk)
    return render(request, "integrations/project_import.html", {"form": form})


@login_required
@require_GET
def project_import_job(request, job_id):
    job = selectors.import_job_for(user=request.user, job_id=job_id)
    if job is None or job.kind != job.Kind.PROJECT:
        raise Http404("No such import.")
    template = "integrations/project_import_job.html"
    if request.htmx:
        template += "#status"
    return render(request, template, {"job": job})

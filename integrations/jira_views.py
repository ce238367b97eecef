"""The Jira import page under project settings (admins; non-members 404, others 403):
upload a Jira CSV export -> preview (mappings, status overrides, which unknown columns to
keep) -> start the import -> its progress, polled by htmx, and outcome."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from projects.access import Action, project_for

from . import jira_import
from .models import ImportJob


class UploadForm(forms.Form):
    file = forms.FileField(label="Jira CSV export", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))


def _error_messages(error: ValidationError) -> list[str]:
    return [str(m) for messages in getattr(error, "message_dict", {"": error.messages}).values() for m in messages]


def _options_from(post, preview: dict | None = None) -> dict:
    """The choices of the preview form: status overrides (status__<n> = slug, with
    status_name__<n> = the Jira status) and the kept unknown columns."""
    status_map = {}
    for name, value in post.items():
        if name.startswith("status_name__"):
            slug = post.get("status__" + name.removeprefix("status_name__"), "")
            if slug:
                status_map[value] = slug
    unknown = "ignore" if post.get("unknown_columns") == "ignore" else "keep"
    return jira_import.jira_options_clean(
        status_map=status_map, unknown_columns=unknown, keep_columns=post.getlist("keep_column")
    )


@login_required
def jira_import_page(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    action = request.POST.get("action")
    uploading = request.method == "POST" and action not in ("start", "preview_again")
    form = UploadForm(request.POST, request.FILES) if uploading else UploadForm()
    context = {
        "project": project,
        "form": form,
        "jobs": jira_import.import_jobs_recent(project=project),
        "max_mb": jira_import.max_bytes() // 1_000_000,
    }
    if request.method == "POST" and action == "start":
        try:
            path, name, data = jira_import.pending_upload_open(
                token=request.POST.get("token", ""), project=project, user=request.user
            )
            job = jira_import.jira_import_start(
                project=project,
                user=request.user,
                data=data,
                file_name=name,
                options=_options_from(request.POST),
                pending_path=path,
            )
        except ValidationError as error:
            context["errors"] = _error_messages(error)
        else:
            return redirect("jira_import:job", key=project.key, job_id=job.pk)
    elif request.method == "POST":
        if action == "preview_again":  # the same file with other choices
            try:
                path, name, data = jira_import.pending_upload_open(
                    token=request.POST.get("token", ""), project=project, user=request.user
                )
                jira = jira_import.parse_jira_csv(data, max_rows=jira_import.max_rows())
            except (ValidationError, jira_import.JiraCsvError) as error:
                context["errors"] = _error_messages(error) if isinstance(error, ValidationError) else [str(error)]
            else:
                options = _options_from(request.POST)
                context.update(
                    token=request.POST["token"],
                    file_name=name,
                    preview=jira_import.jira_preview(project=project, jira=jira, options=options),
                )
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data, jira = jira_import.jira_file_read(upload=upload)
            except ValidationError as error:
                for message in _error_messages(error):
                    form.add_error("file", message)
            else:
                options = jira_import.jira_options_clean()
                context.update(
                    token=jira_import.pending_upload_store(
                        project=project, user=request.user, data=data, file_name=upload.name
                    ),
                    file_name=upload.name,
                    preview=jira_import.jira_preview(project=project, jira=jira, options=options),
                )
    return render(request, "integrations/jira_import.html", context)


@login_required
def jira_import_job(request, key, job_id):
    project = project_for(request.user, key, Action.ADMIN)
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), project=project, pk=job_id)
    template = "integrations/jira_import_job.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"project": project, "job": job})

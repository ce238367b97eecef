"""The "Import Markdown" page of the docs: upload a zip, see the preview (htmx swaps it in
under the form, the chosen file stays chosen), import, then follow the job until it links
to the new tree (its status panel polls itself while the job runs). Members who may edit
docs; a non-member gets 404, a viewer 403."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial
from docs_hub.models import Doc
from projects.access import Action, project_for

from . import markdown_import, selectors

TEMPLATE = "integrations/markdown_import.html"
JOB_TEMPLATE = "integrations/markdown_import_job.html"


class MarkdownImportForm(forms.Form):
    file = forms.FileField(
        label="Zip of Markdown files",
        help_text="A Confluence export converted to Markdown, or a Notion or Obsidian export (.zip).",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    parent = forms.ModelChoiceField(
        queryset=Doc.objects.none(),
        required=False,
        label="Import under",
        empty_label="The top level of the docs",
        help_text="Importing the same zip again under the same page updates its pages instead of copying them.",
    )

    def __init__(self, project, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            Doc.objects.filter(project=project, deleted_at__isnull=True).only("id", "title").order_by("title", "id")
        )


@login_required
def markdown_import_page(request, key):
    project = project_for(request.user, key, Action.EDIT)
    form = MarkdownImportForm(
        project, request.POST or None, request.FILES or None, initial={"parent": request.GET.get("parent")}
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        parent, upload = form.cleaned_data["parent"], form.cleaned_data["file"]
        try:
            if request.POST.get("action") == "preview":
                preview = markdown_import.markdown_import_preview(project=project, parent=parent, upload=upload)
            else:
                job = markdown_import.markdown_import_start(
                    project=project, parent=parent, upload=upload, user=request.user
                )
                return redirect("docs_markdown_import_job", key=project.key, job_id=job.pk)
        except ValidationError as error:
            add_service_errors(form, error)
    context = {
        "project": project,
        "form": form,
        "preview": preview,
        "parent": form.cleaned_data.get("parent") if form.is_bound and not form.errors else None,
    }
    if wants_partial(request):
        return render(request, f"{TEMPLATE}#preview", context)  # errors show in the preview region
    return render(request, TEMPLATE, context, status=400 if form.errors else 200)


@login_required
@require_GET
def markdown_import_job(request, key, job_id):
    project = project_for(request.user, key, Action.VIEW)
    job = selectors.import_job_for(user=request.user, job_id=job_id)
    if job is None or job.kind != job.Kind.MARKDOWN or job.project_id != project.pk:
        raise Http404("No such import.")
    template = f"{JOB_TEMPLATE}#status" if wants_partial(request) else JOB_TEMPLATE
    return render(request, template, {"project": project, "job": job})

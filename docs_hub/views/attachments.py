"""Upload into a page, and serve an attachment only to members of its project."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial
from projects.access import Action, project_for

from .. import services
from ..forms import AttachmentForm
from ..models import DocAttachment
from .common import doc_for, page_context


@login_required
@require_POST
def attachment_upload(request, key, slug):
    project, doc = doc_for(request, key, slug, Action.EDIT)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_add(doc=doc, uploaded_file=form.cleaned_data["file"], user=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not wants_partial(request):
                messages.success(request, f"Attached {attachment.name}.")
            form = AttachmentForm()
    if wants_partial(request):
        context = page_context(
            project,
            doc=doc,
            attachments=list(doc.attachments.all()),
            attachment_form=form,
            in_editor=request.POST.get("in_editor") == "1",
        )
        return render(request, "docs_hub/_attachments.html", context, status=200 if not form.errors else 400)
    if form.errors:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("docs_hub:detail", key=project.key, slug=doc.slug)


@login_required
def attachment_download(request, key, attachment_id, filename):
    project = project_for(request.user, key)
    attachment = DocAttachment.objects.filter(pk=attachment_id, doc__project=project).first()
    if attachment is None:
        raise Http404("No such file.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404("The file is gone.") from missing
    response = FileResponse(
        handle, content_type=attachment.content_type, as_attachment=not attachment.is_image, filename=attachment.name
    )
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def attachment_delete(request, key, slug, attachment_id):
    project, doc = doc_for(request, key, slug, Action.EDIT)
    attachment = DocAttachment.objects.filter(pk=attachment_id, doc=doc).first()
    if attachment is None:
        raise Http404("No such file.")
    services.attachment_delete(attachment=attachment)
    messages.success(request, f"Removed {attachment.name}.")
    return redirect("docs_hub:detail", key=project.key, slug=doc.slug)

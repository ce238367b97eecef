"""The doc tree: move and reorder, trash and restore, templates, export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial
from projects.access import Action, project_for

from .. import export, selectors, services
from ..forms import DocMoveForm, DocTemplateForm
from ..models import Doc, DocTemplate
from .common import doc_for, moved_slug_redirects, page_context, tree_context


@login_required
@moved_slug_redirects
def doc_move(request, key, slug):
    project, doc = doc_for(request, key, slug, Action.EDIT)
    form = DocMoveForm(
        request.POST or None,
        project=project,
        exclude_ids=selectors.subtree_ids(doc=doc),
        initial={"parent": doc.parent.slug if doc.parent else None, "position": doc.position},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.doc_move(doc=doc, parent=form.cleaned_data["parent"], position=form.cleaned_data["position"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Moved “{doc.title}”.")
            return redirect("docs_hub:detail", key=project.key, slug=doc.slug)
    return render(request, "docs_hub/move.html", page_context(project, doc=doc, form=form))


@login_required
@require_POST
def doc_shift(request, key):
    """`shift=<slug>:up|down` moves a page one place among its siblings; htmx swaps the
    tree, a plain POST goes back to the page it came from."""
    slug, _, direction = request.POST.get("shift", "").partition(":")
    if not slug or direction not in ("up", "down"):
        return HttpResponseBadRequest("shift must be <slug>:up or <slug>:down")
    project, doc = doc_for(request, key, slug, Action.EDIT)
    services.doc_shift(doc=doc, offset=-1 if direction == "up" else 1)
    if wants_partial(request):
        context = page_context(project, **tree_context(project, current_id=doc.id))
        return render(request, "docs_hub/index.html#tree", context)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("docs_hub:index", kwargs={"key": project.key})
    return redirect(target)


@login_required
@require_POST
def doc_delete(request, key, slug):
    project, doc = doc_for(request, key, slug, Action.EDIT)
    ids = services.doc_trash(doc=doc, user=request.user)
    extra = f" with {len(ids) - 1} sub-page{'s' if len(ids) > 2 else ''}" if len(ids) > 1 else ""
    messages.success(request, f"“{doc.title}”{extra} moved to the trash. An admin can restore it.")
    return redirect("docs_hub:index", key=project.key)


@login_required
def doc_trash(request, key):
    project = project_for(request.user, key)
    page = Paginator(selectors.trash_list(project=project), 50).get_page(request.GET.get("page"))
    return render(request, "docs_hub/trash.html", page_context(project, trashed=page.object_list, page_obj=page))


@login_required
@require_POST
def doc_restore(request, key, doc_id):
    project = project_for(request.user, key, Action.ADMIN)
    doc = get_object_or_404(Doc.objects.select_related("project"), pk=doc_id, project=project, deleted_at__isnull=False)
    doc = services.doc_restore(doc=doc, user=request.user)
    messages.success(request, f"“{doc.title}” restored.")
    return redirect("docs_hub:detail", key=project.key, slug=doc.slug)


@login_required
@require_POST
def doc_purge(request, key, doc_id):
    project = project_for(request.user, key, Action.ADMIN)
    doc = get_object_or_404(Doc, pk=doc_id, project=project, deleted_at__isnull=False)
    title = doc.title
    services.doc_purge(doc=doc)
    messages.success(request, f"“{title}” deleted for good.")
    return redirect("docs_hub:trash", key=project.key)


@login_required
def doc_templates(request, key):
    project = project_for(request.user, key)
    form = DocTemplateForm(request.POST or None)
    if request.method == "POST":
        project = project_for(request.user, key, Action.ADMIN)
        if form.is_valid():
            try:
                template = services.doc_template_create(project=project, created_by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Template “{template.name}” added.")
                return redirect("docs_hub:templates", key=project.key)
    context = page_context(project, templates=selectors.template_catalog(project=project), form=form)
    return render(request, "docs_hub/templates.html", context)


@login_required
@require_POST
def doc_template_delete(request, key, template_id):
    project = project_for(request.user, key, Action.ADMIN)
    template = get_object_or_404(DocTemplate, pk=template_id, project=project)
    services.doc_template_delete(template=template)
    messages.success(request, f"Template “{template.name}” deleted.")
    return redirect("docs_hub:templates", key=project.key)


@login_required
@moved_slug_redirects
def doc_export_markdown(request, key, slug):
    _project, doc = doc_for(request, key, slug)
    response = HttpResponse(export.doc_markdown(doc), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{doc.slug}.md"'
    return response


def _zip_response(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


@login_required
@moved_slug_redirects
def doc_export_tree(request, key, slug):
    project, doc = doc_for(request, key, slug)
    return _zip_response(export.tree_zip(project=project, root=doc), f"{project.key}-{doc.slug}")


@login_required
def docs_export_all(request, key):
    project = project_for(request.user, key)
    if not Doc.objects.filter(project=project, deleted_at__isnull=True).exists():
        raise Http404("No pages to export.")
    return _zip_response(export.tree_zip(project=project, root=None), f"{project.key}-docs")

"""A doc's own pages: read, create, edit (live preview, conflicts), history, diff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from aihub.exceptions import StaleVersion
from aihub.forms import add_service_errors
from aihub.htmx import wants_partial
from aihub.limits import text_limit
from projects.access import Action, project_for

from .. import macros, selectors, services
from ..forms import AttachmentForm, DocCreateForm, DocForm, PreviewForm
from ..rendering import render_doc
from .common import doc_for, moved_slug_redirects, page_context, tree_context, tree_fragment_context


@login_required
def doc_index(request, key):
    """The docs home. Its tree's links (a page's sub-pages, "Show N more") come back here with
    `?under=<slug>&from=N&to=M`: htmx gets those rows alone, a plain link the page with them shown."""
    project = project_for(request.user, key)
    start, stop = request.GET.get("from", ""), request.GET.get("to", "")
    under = request.GET.get("under", "" if start else None)  # "" is the top level
    start, stop = int(start) if start.isdigit() else 0, int(stop) if stop.isdigit() else None
    if wants_partial(request) and under is not None:
        context = page_context(project, **tree_fragment_context(project, under=under, start=start, stop=stop))
        # A page's toggle swaps in its nested list; "Show N more" swaps in more rows.
        return render(
            request, "docs_hub/_tree.html#children" if under and not start else "docs_hub/_tree.html#rows", context
        )
    tree = tree_context(project, under=under, start=start)
    context = page_context(
        project,
        **tree,
        recent=selectors.recent_docs(project=project, limit=10),
        counts=selectors.doc_counts(project=project),
    )
    return render(request, "docs_hub/index.html", context)


@login_required
@moved_slug_redirects
def doc_detail(request, key, slug):
    project, doc = doc_for(request, key, slug)
    context = page_context(
        project,
        doc=doc,
        html=selectors.doc_current_html(doc=doc),
        **tree_context(project, current_id=doc.id),
        backlinks=selectors.doc_backlinks(doc=doc),
        attachments=list(doc.attachments.select_related("uploaded_by")),
        attachment_form=AttachmentForm(),
    )
    return render(request, "docs_hub/detail.html", context)


@login_required
def doc_create(request, key):
    project = project_for(request.user, key, Action.EDIT)
    templates = selectors.template_catalog(project=project)
    initial = {
        "title": request.GET.get("title", ""),
        "parent": request.GET.get("parent") or None,
        "template": request.GET.get("template", ""),
    }
    chosen = next((t for t in templates if t["slug"] == initial["template"]), None)
    if chosen is not None:  # a template picked by link: its text is in the editor (and preview) at once
        initial["body"] = chosen["body"]
    form = DocCreateForm(request.POST or None, project=project, templates=templates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            doc = services.doc_create(
                project=project,
                author=request.user,
                title=data["title"],
                body=data["body"],
                parent=data["parent"],
                template=data["template"] or None,
                message=data["message"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Page “{doc.title}” created.")
            return redirect("docs_hub:detail", key=project.key, slug=doc.slug)
    template_bodies = {t["slug"]: t["body"] for t in templates}  # the editor loads one on choosing it (docs.js)
    return render(
        request,
        "docs_hub/edit.html",
        page_context(project, form=form, templates=templates, creating=True, template_bodies=template_bodies),
    )


@login_required
@moved_slug_redirects
def doc_edit(request, key, slug):
    project, doc = doc_for(request, key, slug, Action.EDIT)
    conflict = None
    if request.method == "POST":
        form = DocForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.doc_update(
                    doc=doc,
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    message=data["message"],
                    version=data["version"],
                )
            except StaleVersion as stale:
                current = stale.current
                # Keep the writer's text, show theirs beside it; the next save is based on theirs.
                post = request.POST.copy()
                post["version"] = str(current.version)
                form = DocForm(post)
                form.is_valid()
                conflict = {
                    "doc": current,
                    "html": selectors.doc_current_html(doc=current),
                    "revision": selectors.revision_get(doc=current, version=current.version),
                }
                doc = current
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Saved version {saved.version}.")
                return redirect("docs_hub:detail", key=project.key, slug=saved.slug)
        status = 409 if conflict else 200
    else:
        form = DocForm(initial={"title": doc.title, "body": doc.body, "version": doc.version})
        status = 200
    context = page_context(
        project,
        doc=doc,
        form=form,
        conflict=conflict,
        creating=False,
        attachments=list(doc.attachments.all()),
        attachment_form=AttachmentForm(),
    )
    return render(request, "docs_hub/edit.html", context, status=status)


@login_required
@require_POST
def doc_preview(request, key):
    """The live preview fragment: what the body will look like, macros with current values."""
    project = project_for(request.user, key, Action.EDIT)
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("bad preview")
    body, limit = form.cleaned_data["body"], text_limit("docs_hub.Doc", "body")
    if len(body) > limit:  # the page would not save it: say so instead of rendering it
        html = format_html(
            '<p class="error">A page holds at most {} characters; this text has {}.</p>', f"{limit:,}", f"{len(body):,}"
        )
        return render(request, "docs_hub/edit.html#preview", {"preview_html": html, "preview_toc": ""})
    rendered = render_doc(project=project, body=body)
    html = macros.fill(rendered.html, rendered.macros, macros.resolve(project, rendered.macros))
    return render(request, "docs_hub/edit.html#preview", {"preview_html": html, "preview_toc": rendered.toc_html})


@login_required
@moved_slug_redirects
def doc_history(request, key, slug):
    project, doc = doc_for(request, key, slug)
    page = Paginator(selectors.doc_revisions(doc=doc), 50).get_page(request.GET.get("page"))
    return render(
        request, "docs_hub/history.html", page_context(project, doc=doc, revisions=page.object_list, page_obj=page)
    )


@login_required
@moved_slug_redirects
def doc_revision(request, key, slug, version):
    project, doc = doc_for(request, key, slug)
    revision = selectors.revision_get(doc=doc, version=version)
    if revision is None:
        raise Http404("No such version.")
    return render(
        request,
        "docs_hub/revision.html",
        page_context(project, doc=doc, revision=revision, html=selectors.revision_html(revision=revision)),
    )


def _version_param(request, name: str, default: int) -> int:
    try:
        return int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default


@login_required
@moved_slug_redirects
def doc_diff(request, key, slug):
    project, doc = doc_for(request, key, slug)
    new_version = _version_param(request, "to", doc.version)
    old_version = _version_param(request, "from", max(1, new_version - 1))
    old = selectors.revision_get(doc=doc, version=old_version)
    new = selectors.revision_get(doc=doc, version=new_version)
    if old is None or new is None:
        raise Http404("No such version.")
    versions = list(doc.revisions.order_by("-version").values_list("version", flat=True)[:500])
    context = page_context(
        project, doc=doc, old=old, new=new, versions=versions, lines=selectors.revision_diff(old=old, new=new)
    )
    return render(request, "docs_hub/diff.html", context)


@login_required
@require_POST
def doc_revision_restore(request, key, slug, version):
    project, doc = doc_for(request, key, slug, Action.EDIT)
    try:
        doc = services.doc_revision_restore(doc=doc, version=version, author=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Version {version} restored as version {doc.version}.")
    return redirect("docs_hub:detail", key=project.key, slug=doc.slug)

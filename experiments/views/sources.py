"""MLflow sources: connect, test, sync now with live progress; the hub section; the sentinel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial
from projects.access import Action, can, project_for

from .. import selectors, services
from ..forms import SentinelForm, SourceForm
from ..models import MlflowSource, Sentinel


def _context(project, **extra):
    return {"project": project, "can_edit": can(project, Action.EDIT), "can_admin": can(project, Action.ADMIN), **extra}


@login_required
def sources(request, key):
    project = project_for(request.user, key)
    form = SourceForm(request.POST or None)
    if request.method == "POST":
        project = project_for(request.user, key, Action.ADMIN)
        if form.is_valid():
            try:
                source = services.source_create(project=project, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                try:
                    services.source_sync_request(source=source, kind="full", user=request.user)
                except services.SyncQueueUnavailable:
                    messages.warning(
                        request,
                        f"Connected {source.label}, but its first sync could not be queued: "
                        "the task queue (Redis) is not reachable. Press Sync now once it is back.",
                    )
                else:
                    messages.success(request, f"Connected {source.label}; the first sync has started.")
                return redirect("experiments:source", key=project.key, source_id=source.pk)
    return render(
        request,
        "experiments/sources.html",
        _context(project, form=form, sources=selectors.sources_for_project(project=project)),
    )


@login_required
@require_POST
def source_test(request, key):
    """Test connection: answers at once (no retries, short timeouts) with a clear message.
    Throttled per user: past the limit the answer is 429 with the message (200 to htmx,
    which swaps only successful answers, so the person reads it in place)."""
    project_for(request.user, key, Action.ADMIN)
    try:
        services.source_test_throttle(user=request.user)
    except services.ConnectionTestThrottled as error:
        response = render(
            request,
            "experiments/sources.html#test-result",
            {"ok": False, "message": str(error)},
            status=200 if wants_partial(request) else 429,
        )
        response["Retry-After"] = str(error.wait)
        return response
    form = SourceForm(request.POST)
    form.is_valid()
    data = {
        **{f: request.POST.get(f, "") for f in ("tracking_uri", "username", "secret")},
        "experiment_names": form.cleaned_data.get("experiment_names") or request.POST.get("experiment_names", ""),
        "credentials_from_env": bool(request.POST.get("credentials_from_env")),
    }
    ok, message = services.source_test_connection(**data)
    return render(request, "experiments/sources.html#test-result", {"ok": ok, "message": message})


@login_required
def source_detail(request, key, source_id):
    project = project_for(request.user, key)
    source = get_object_or_404(MlflowSource, pk=source_id, project=project)
    initial = {
        "name": source.name,
        "tracking_uri": source.tracking_uri,
        "experiment_names": "\n".join(source.experiment_names),
        "username": source.username,
        "credentials_from_env": source.credentials_from_env,
        "fast_interval_seconds": source.fast_interval_seconds,
        "reconcile_interval_seconds": source.reconcile_interval_seconds,
    }
    form = SourceForm(request.POST or None, initial=initial)
    if request.method == "POST":
        project = project_for(request.user, key, Action.ADMIN)
        if request.POST.get("delete") == "yes":
            services.source_delete(source=source)
            messages.success(request, f"Source {source.label} and its synced runs were removed.")
            return redirect("experiments:sources", key=project.key)
        if form.is_valid():
            try:
                services.source_update(source=source, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Source saved.")
                return redirect("experiments:source", key=project.key, source_id=source.pk)
    records = selectors.source_syncs(source=source)
    context = _context(
        project,
        source=source,
        form=form,
        records=records,
        latest=records[0] if records else None,
        experiments=source.experiments.order_by("name"),
    )
    if wants_partial(request) and request.method == "GET":
        return render(request, "experiments/source.html#sync-status", context)
    return render(request, "experiments/source.html", context)


@login_required
@require_POST
def source_sync_now(request, key, source_id):
    project = project_for(request.user, key, Action.EDIT)
    source = get_object_or_404(MlflowSource, pk=source_id, project=project)
    queue_error = ""
    try:
        services.source_sync_request(source=source, kind="full", user=request.user)
    except services.SyncQueueUnavailable as error:
        queue_error = str(error)
    if wants_partial(request):
        records = selectors.source_syncs(source=source)
        return render(
            request,
            "experiments/source.html#sync-status",
            _context(
                project, source=source, records=records, latest=records[0] if records else None, queue_error=queue_error
            ),
        )
    if queue_error:
        messages.error(request, queue_error)
    else:
        messages.success(request, "A full sync was requested.")
    return redirect("experiments:source", key=project.key, source_id=source.pk)


@login_required
def hub_section(request, key):
    project = project_for(request.user, key)
    sources_list = selectors.sources_for_project(project=project)
    return render(
        request,
        "experiments/hub_section.html",
        _context(
            project,
            sources=sources_list,
            stats=selectors.project_run_stats(project=project),
            recent=list(selectors.runs_filtered(project=project)[:5]),
        ),
    )


@login_required
def sentinel_settings(request, key):
    project = project_for(request.user, key)
    instance = Sentinel.objects.filter(project=project).first()
    form = SentinelForm(request.POST or None, instance=instance)
    if request.method == "POST":
        project = project_for(request.user, key, Action.ADMIN)
        if form.is_valid():
            try:
                services.sentinel_configure(project=project, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Regression sentinel saved.")
                return redirect("experiments:sentinel", key=project.key)
    return render(request, "experiments/sentinel.html", _context(project, form=form, sentinel=instance))

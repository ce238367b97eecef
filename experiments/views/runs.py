"""Experiments, their runs table, a run's page and the comparison of runs."""

import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_POST

from aihub.htmx import wants_partial
from aihub.pagination import CappedPaginator
from projects import live
from projects.access import Action, can, project_for
from projects.models import Ticket

from .. import selectors, services
from ..forms import LinkTicketForm, RunColumnsForm
from ..models import Experiment, RunStatus
from ..templatetags.experiments_ui import duration, metric

PAGE_SIZE = 50
RUN_COUNT_CAP = 10_000  # a longer runs table says "10,000+ runs" (aihub/pagination.py)


def _short(text, length: int) -> str:
    """`text|truncatechars:length` without the filter's work for the usual text that fits
    (the filter gives back the NFC-normalised text unchanged then)."""
    text = str(text)
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return truncatechars(text, length)


def _table_cells(runs, columns: dict) -> None:
    """What each row of the runs table shows, as text, set on the run: its name, start,
    duration and the chosen metric and param cells. A page of 50 runs with 12 columns
    otherwise resolves and filters about a thousand template expressions."""
    for run in runs:
        run.table_name = _short(run.name or run.run_id, 40)
        start = run.start_time
        run.started_text = "" if start is None else formats.date_format(timezone.localtime(start), "DATETIME_FORMAT")
        run.duration_text = duration(run.duration_seconds)
        metrics, params = run.metrics, run.params
        run.metric_cells = [metric(None if metrics is None else metrics.get(key)) for key in columns["metrics"]]
        run.param_cells = [
            _short((None if params is None else params.get(key)) or "—", 24) for key in columns["params"]
        ]


def _context(project, **extra):
    return {"project": project, "can_edit": can(project, Action.EDIT), "can_admin": can(project, Action.ADMIN), **extra}


@login_required
def index(request, key):
    project = project_for(request.user, key)
    return render(
        request,
        "experiments/index.html",
        _context(
            project,
            experiments=selectors.experiments_for_project(project=project),
            sources=selectors.sources_for_project(project=project),
        ),
    )


@login_required
def experiment_runs(request, key, experiment_pk):
    project = project_for(request.user, key)
    experiment = get_object_or_404(
        Experiment.objects.select_related("source"), pk=experiment_pk, source__project=project
    )
    filters = {name: request.GET.get(name, "").strip() for name in ("status", "ticket", "q", "sort")}
    filter_error = ""
    try:
        runs = selectors.runs_filtered(
            project=project,
            experiment_pk=experiment.pk,
            status=filters["status"],
            ticket=filters["ticket"],
            q=filters["q"],
            sort=filters["sort"],
            include_deleted=request.GET.get("deleted") == "1",
        )
    except ValidationError as error:  # the filter language refused `q`: say why, show no runs
        filter_error = " ".join(error.messages)
        runs = selectors.run_queryset(project=project).none()
    paginator = CappedPaginator(selectors.runs_table(runs), PAGE_SIZE, cap=RUN_COUNT_CAP)
    if not (filters["status"] or filters["ticket"] or filters["q"] or request.GET.get("deleted") == "1"):
        # The whole table's (capped) count changes only with a sync or a purge, which announce.
        paginator.count = live.kept_until_changed(
            f"runs-count:{experiment.pk}", [project.pk], lambda ids: {project.pk: paginator.count}
        )[project.pk]
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    tickets = selectors.run_tickets(rows)
    for run in rows:
        run.linked_tickets = tickets.get(run.pk, [])
    preference = selectors.run_table_preference(user=request.user, project=project)
    columns = selectors.run_table_columns(rows, preference=preference)
    _table_cells(rows, columns)
    keys = selectors.experiment_column_keys(experiment=experiment, extra=columns)
    columns_form = RunColumnsForm(keys=keys, initial={"metrics": columns["metrics"], "params": columns["params"]})
    context = _context(
        project,
        experiment=experiment,
        # The run page's URL up to the run id, reversed once instead of once a row.
        run_url_prefix=reverse("experiments:run", kwargs={"key": project.key, "run_id": "-"}).removesuffix("-/"),
        ticket_url_prefix=reverse("projects:ticket", kwargs={"key": project.key, "ticket_key": "-"}).removesuffix("-/"),
        page=page,
        runs=rows,
        filters=filters,
        columns=columns,
        columns_form=columns_form,
        statuses=RunStatus.choices,
        querystring=request.GET.copy(),
        filter_error=filter_error,
    )
    if wants_partial(request):  # htmx swaps 2xx only: the refused filter's message replaces the table
        return render(request, "experiments/experiment.html#runs-table", context)
    return render(request, "experiments/experiment.html", context, status=400 if filter_error else 200)


@login_required
@require_POST
def experiment_columns(request, key, experiment_pk):
    """Save (or reset) the runs table columns the user chose for this project."""
    project = project_for(request.user, key)
    experiment = get_object_or_404(
        Experiment.objects.select_related("source"), pk=experiment_pk, source__project=project
    )
    if request.POST.get("reset"):
        services.run_table_preference_reset(user=request.user, project=project)
        messages.success(request, "Showing the default columns.")
        return redirect("experiments:experiment", key=project.key, experiment_pk=experiment.pk)
    preference = selectors.run_table_preference(user=request.user, project=project)
    extra = {"metrics": preference.metrics, "params": preference.params} if preference else None
    form = RunColumnsForm(request.POST, keys=selectors.experiment_column_keys(experiment=experiment, extra=extra))
    if form.is_valid():
        try:
            services.run_table_preference_save(
                user=request.user,
                project=project,
                metrics=form.cleaned_data["metrics"],
                params=form.cleaned_data["params"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Columns saved.")
    else:
        messages.error(request, "Choose columns from the lists offered.")
    return redirect("experiments:experiment", key=project.key, experiment_pk=experiment.pk)


def _run_or_404(request, key, run_id):
    project = project_for(request.user, key)
    run = selectors.run_queryset(project=project).filter(run_id=run_id).order_by("deleted", "-pk").first()
    if run is None:
        raise Http404("No such run.")
    return project, run


@login_required
def run_detail(request, key, run_id):
    project, run = _run_or_404(request, key, run_id)
    charts = selectors.histories_for_charts([run.pk])
    context = _context(
        project,
        run=run,
        tickets=selectors.run_tickets([run]).get(run.pk, []),
        versions=selectors.run_model_versions(run),
        link_form=LinkTicketForm(),
        charts=[
            {"key": k, "series": [{"label": run.name or run.run_id[:8], "points": v.get(run.pk, [])}]}
            for k, v in sorted(charts.items())
        ],
        regressions=selectors.regressions_for_runs([run.pk]).get(run.pk, []),
    )
    unlinked = request.GET.get("unlinked", "")
    if unlinked and context.get("can_edit") and unlinked not in {t.key for t in context["tickets"]}:
        context["unlinked_ticket"] = Ticket.objects.filter(project=project, key=unlinked).first()
    return render(request, "experiments/run.html", context)


@login_required
@require_POST
def run_link_ticket(request, key, run_id):
    project, run = _run_or_404(request, key, run_id)
    project_for(request.user, key, Action.EDIT)
    form = LinkTicketForm(request.POST)
    if form.is_valid():
        ticket = Ticket.objects.filter(project=project, key=form.cleaned_data["ticket_key"].strip().upper()).first()
        if ticket is None:
            messages.error(request, f"No ticket {form.cleaned_data['ticket_key']} in {project.key}.")
        else:
            services.run_link(run=run, ticket=ticket, user=request.user)
            messages.success(request, f"Linked to {ticket.key}.")
    else:
        messages.error(request, "Give a ticket key such as CV-12.")
    return redirect("experiments:run", key=project.key, run_id=run.run_id)


@login_required
@require_POST
def run_unlink_ticket(request, key, run_id, ticket_key):
    project, run = _run_or_404(request, key, run_id)
    project_for(request.user, key, Action.EDIT)
    ticket = get_object_or_404(Ticket, project=project, key=ticket_key)
    try:
        services.run_unlink(run=run, ticket=ticket, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("experiments:run", key=project.key, run_id=run.run_id)
    # The run page then offers to undo it (a Link button for that ticket).
    return redirect(
        f"{reverse('experiments:run', kwargs={'key': project.key, 'run_id': run.run_id})}"
        f"?unlinked={ticket.key}#run-tickets"
    )


@login_required
def compare(request, key):
    project = project_for(request.user, key)
    run_ids = [r for r in request.GET.getlist("run") if r][: selectors.MAX_COMPARE + 1]
    runs = selectors.runs_for_compare(project=project, run_ids=run_ids)
    error = ""
    if len(run_ids) > selectors.MAX_COMPARE:
        error = f"Compare at most {selectors.MAX_COMPARE} runs; showing the first {selectors.MAX_COMPARE}."
    elif len(runs) < 2:
        error = "Pick 2 to 10 runs to compare (tick them in an experiment's runs table)."
    charts = selectors.histories_for_charts([r.pk for r in runs]) if len(runs) >= 2 else {}
    chart_data = [
        {
            "key": k,
            "series": [
                {"label": r.name or r.run_id[:8], "points": by_run.get(r.pk, [])} for r in runs if r.pk in by_run
            ],
        }
        for k, by_run in sorted(charts.items())
    ]
    return render(
        request,
        "experiments/compare.html",
        _context(project, runs=runs, table=selectors.compare_table(runs), charts=chart_data, error=error),
    )

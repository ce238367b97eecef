"""The board page: columns per status, cards loaded lazily, quick create, live refresh.

Moves go through the REST endpoint (`POST /api/v1/tickets/{key}/move/`, session + CSRF),
so the page and integrations share one write path and one set of answers."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from aihub.forms import add_service_errors
from aihub.htmx import wants_partial

from .. import live, selectors, services
from ..access import Action, can, project_for
from ..forms import QuickCreateForm
from ..models import BoardMode, Project, Sprint, WorkflowStatus
from ..templatetags.board_ui import project_live_etag
from ..ticket_links import ticket_url_parts

MAX_CARDS_PER_COLUMN = 400


def _chosen_sprint(project: Project, value: str | None) -> tuple[Sprint | None, str]:
    """The sprint the board shows and the selector's value: a sprint id, "all" for the whole
    project, or nothing: the active sprint for Scrum projects, everything for Kanban."""
    if value == "all" or (not value and project.board_mode == BoardMode.KANBAN):
        return None, "all"
    if value and value.isdigit():
        sprint = Sprint.objects.filter(project=project, pk=int(value)).first()
        if sprint is None:
            raise Http404("No such sprint in this project.")
        return sprint, str(sprint.pk)
    sprint = selectors.active_sprint(project=project)
    return sprint, (str(sprint.pk) if sprint else "")


def _cards_per_column(request) -> int:
    """First cards per column; a live refresh asks for as many as the page had loaded
    (`shown`), so scrolled columns keep their cards, up to a bound."""
    shown = request.GET.get("shown", "")
    wanted = int(shown) if shown.isdigit() else 0
    return min(max(wanted, selectors.COLUMN_PAGE_SIZE), MAX_CARDS_PER_COLUMN)


def _board_scope(request, project: Project) -> dict:
    """What the board shows (sprint, filters) and who looks at it; no cards yet."""
    sprint, sprint_value = _chosen_sprint(project, request.GET.get("sprint"))
    filters = selectors.BoardFilters.from_query(request.GET)
    return {
        "project": project,
        "can_edit": can(project, Action.EDIT),
        "can_admin": can(project, Action.ADMIN),
        "sprint": sprint,
        "sprint_value": sprint_value,
        "no_active_sprint": sprint is None and sprint_value == "",  # a Scrum project with no active sprint
        "filters": filters,
        "query": {**filters.as_query(), **({"sprint": sprint_value} if request.GET.get("sprint") else {})},
        "ticket_url_parts": ticket_url_parts(project.key),
    }


def _board_context(request, project: Project) -> dict:
    context = _board_scope(request, project)
    # The revision read before the cards: the page's poll takes it from the fragment, so a
    # refresh the page asked for itself is not fetched a second time (a change committed
    # meanwhile has a later revision and is still noticed).
    context["live_etag"] = project_live_etag(project)
    context["columns"] = selectors.board_columns(
        project=project,
        sprint=context["sprint"],
        filters=context["filters"],
        empty=context["no_active_sprint"],
        per_column=_cards_per_column(request),
    )
    _add_epic_progress(project, [card for column in context["columns"] for card in column.cards])
    return context


def _add_epic_progress(project: Project, cards: list[dict]) -> None:
    """An epic's card shows its children's progress (one query, none without epics)."""
    epics = [card for card in cards if card["type"] == "epic"]
    if epics:
        progress = selectors.epic_progress(project=project, keys=[card["key"] for card in epics])
        for card in epics:
            card["epic_progress"] = progress.get(card["key"])


@login_required
def board(request, key):
    project = project_for(request.user, key)
    context = _board_context(request, project)
    if wants_partial(request):
        return render(request, "projects/board.html#board", context)
    context.update(
        sprints=selectors.board_sprints(project=project),
        choices=selectors.board_filter_choices(project=project),
        quick_form=QuickCreateForm(project=project, columns=context["columns"]),
    )
    return render(request, "projects/board.html", context)


@login_required
@require_GET
def board_column_more(request, key, status):
    """The next cards of one column, fetched when the last loaded card scrolls into view."""
    project = project_for(request.user, key)
    column = WorkflowStatus.objects.filter(project=project, slug=status).first()
    if column is None:
        raise Http404("No such status.")
    context = _board_scope(request, project)
    cards, has_more = selectors.column_cards(
        project=project,
        sprint=context["sprint"],
        status=column,
        filters=context["filters"],
        after=request.GET.get("after") or None,
    )
    _add_epic_progress(project, cards)
    context.update(
        column={"slug": column.slug, "last_key": cards[-1]["key"] if cards else None, "has_more": has_more}, cards=cards
    )
    return render(request, "projects/board.html#more-cards", context)


@login_required
@require_POST
def board_quick_create(request, key):
    """The "new ticket" dialog (shortcut c): creates the ticket at the end of a column of
    the board's sprint, then tells the board to refresh."""
    project = project_for(request.user, key, Action.EDIT)
    form = QuickCreateForm(request.POST, project=project)
    created = None
    if form.is_valid():
        sprint_value = form.cleaned_data.get("sprint") or ""
        sprint = Sprint.objects.filter(project=project, pk=sprint_value).first() if sprint_value.isdigit() else None
        try:
            created = services.ticket_create(
                project=project,
                reporter=request.user,
                title=form.cleaned_data["title"],
                status=form.cleaned_data["status"],
                type=form.cleaned_data["type"],
                sprint=sprint,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = QuickCreateForm(
                project=project, initial={"status": created.status_id, "type": created.type, "sprint": sprint_value}
            )
    context = {
        "project": project,
        "quick_form": form,
        "created": created,
        "sprint_value": request.POST.get("sprint", ""),
    }
    # Errors come back in the form with a 200: htmx swaps only successful answers.
    response = render(request, "projects/board.html#quick-create", context)
    if created:
        trigger_client_event(response, "aihub:live", {"created": created.key})
    return response


@login_required
def board_summary(request, key):
    """The hub's board section: tickets per column."""
    project = project_for(request.user, key)
    return render(
        request, "projects/board_summary.html", {"project": project, **selectors.board_summary(project=project)}
    )


@login_required
@require_GET
def project_live(request, key):
    """The project's revision, for pages that poll: 304 while nothing changed. Three small
    queries (session, user, membership) and one cache read; no data, so no permission
    question beyond membership. While the cache (Redis) is down: 200 with
    `{"revision": null, "paused": true}`, and the page says live updates are paused."""
    project_id = project_for(request.user, key).pk
    revision = live.project_revision(project_id)
    if revision is None:
        response = JsonResponse({"revision": None, "paused": True})
        response["Cache-Control"] = "no-store"
        return response
    etag = f'"{project_id}-{revision}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = JsonResponse({"revision": etag.strip('"')})
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response

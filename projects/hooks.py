"""Extension points that let other apps take part in a `projects` write without
`projects` importing them. Apps register in their AppConfig.ready()."""

from collections.abc import Callable

# Called before a ticket enters a finished status: (ticket, user) -> list of reasons it may not.
finish_guards: list[Callable] = []
# Called after a ticket entered a finished status, inside the same transaction: (ticket, user).
ticket_finished_handlers: list[Callable] = []


# Bulk providers for what other apps know about tickets, so a page or serializer asks once
# for all its tickets. One or two queries each, whatever the number of tickets.
#   backlinks: (ticket_ids) -> {ticket_id: [items]}: docs that mention each ticket, as
#     [{"type": "doc", "slug", "title", "url"}] (a page of tickets at most)
#   badges: (*, project_id, sprint_id) -> {ticket_id: [items]}: small facts a board card
#     shows, as [{"label", "title", "state"}] (runs, gates), for the tickets of a board: the
#     project's tickets in that sprint (every ticket of the project when sprint_id is None).
#     Providers filter on ticket__project_id and ticket__sprint_id (a join), never on a list
#     of ids, so a board of 10,000 cards sends the same short SQL as one of 10; the cost
#     follows the rows they find (links, gates), not the size of the board.
backlink_providers: list[Callable] = []
badge_providers: list[Callable] = []


def register_backlink_provider(provider: Callable) -> Callable:
    if provider not in backlink_providers:
        backlink_providers.append(provider)
    return provider


def register_badge_provider(provider: Callable) -> Callable:
    if provider not in badge_providers:
        badge_providers.append(provider)
    return provider


def _collect(providers, ticket_ids) -> dict:
    ticket_ids = list(ticket_ids)
    merged: dict = {ticket_id: [] for ticket_id in ticket_ids}
    for provider in providers:
        for ticket_id, items in provider(ticket_ids).items():
            merged.setdefault(ticket_id, []).extend(items)
    return merged


def backlinks_for(ticket_ids) -> dict:
    return _collect(backlink_providers, ticket_ids)


def badges_for(*, project_id: int, sprint_id: int | None = None) -> dict:
    """Badges of the board's tickets (see badge_providers): only tickets with badges appear."""
    merged: dict = {}
    for provider in badge_providers:
        for ticket_id, items in provider(project_id=project_id, sprint_id=sprint_id).items():
            merged.setdefault(ticket_id, []).extend(items)
    return merged


def register_finish_guard(guard: Callable) -> Callable:
    if guard not in finish_guards:
        finish_guards.append(guard)
    return guard


def register_ticket_finished_handler(handler: Callable) -> Callable:
    if handler not in ticket_finished_handlers:
        ticket_finished_handlers.append(handler)
    return handler


def reasons_ticket_may_not_finish(ticket, user) -> list[str]:
    return [reason for guard in finish_guards for reason in guard(ticket, user)]


# --- Pages other apps add to -------------------------------------------------------------
# Each entry names a URL that takes the project key (and, for ticket panels, `ticket_key`);
# projects pages render tabs as links and panels/sections as htmx fragments (hx-get).
project_tabs: list[dict] = []
ticket_panels: list[dict] = []
hub_sections: list[dict] = []
# Sections the dashboard page shows under its own figures (same shape as hub_sections).
dashboard_sections: list[dict] = []
# Callables (demo_user) -> None that fill the demo workspace; `seed_demo` runs them in order.
demo_seeders: list[dict] = []


def _register(registry: list[dict], entry: dict) -> None:
    if not any(existing["name"] == entry["name"] for existing in registry):
        registry.append(entry)
        registry.sort(key=lambda e: e["order"])


def register_project_tab(
    *, name: str, label: str, url_name: str, order: int, match: tuple[str, ...] = (), admin_only: bool = False
) -> None:
    """A tab in the project's navigation. `match`: URL names (namespace:name) that highlight it."""
    _register(
        project_tabs,
        {
            "name": name,
            "label": label,
            "url_name": url_name,
            "order": order,
            "match": match or (url_name,),
            "admin_only": admin_only,
        },
    )


def register_ticket_panel(*, name: str, title: str, url_name: str, order: int) -> None:
    """A panel on the ticket page, fetched from url_name(key=..., ticket_key=...)."""
    _register(ticket_panels, {"name": name, "title": title, "url_name": url_name, "order": order})


def register_hub_section(*, name: str, title: str, url_name: str, order: int) -> None:
    """A section of the project hub page, fetched from url_name(key=...)."""
    _register(hub_sections, {"name": name, "title": title, "url_name": url_name, "order": order})


def register_dashboard_section(*, name: str, title: str, url_name: str, order: int) -> None:
    """A section of the dashboard page, fetched from url_name(key=...)."""
    _register(dashboard_sections, {"name": name, "title": title, "url_name": url_name, "order": order})


def register_demo_seeder(*, name: str, seeder: Callable, order: int) -> None:
    _register(demo_seeders, {"name": name, "seeder": seeder, "order": order})


# --- Project templates ---------------------------------------------------------------------
# Parts other apps add to a project made from a template (docs_hub: the doc skeleton;
# experiments: the targets). `apply(project, template_data, user)` runs inside the
# transaction that creates the project, after its workflow, labels, epics and tickets, so
# `template_data["ticket_keys"]` maps each starter ticket's title to its key.
# `capture(project) -> dict` (optional) returns the part's structure when a project is saved
# as a template (e.g. {"docs": [...]}): structure, never data (no runs, no revisions).
template_parts: list[dict] = []


def register_template_part(apply: Callable, *, capture: Callable | None = None, name: str = "") -> Callable:
    entry = {"name": name or getattr(apply, "__qualname__", repr(apply)), "apply": apply, "capture": capture}
    if not any(existing["name"] == entry["name"] for existing in template_parts):
        template_parts.append(entry)
    return apply


# --- Portfolio -----------------------------------------------------------------------------
# Bulk providers of what other apps know about many projects at once, for the portfolio:
# `provider(project_ids) -> {project_id: {field: value}}`, a constant number of queries
# whatever the number of projects (experiments: the primary target's best value).
portfolio_providers: list[Callable] = []


def register_portfolio_provider(provider: Callable) -> Callable:
    if provider not in portfolio_providers:
        portfolio_providers.append(provider)
    return provider


def portfolio_extras(project_ids) -> dict:
    """{project_id: {...}} merged from every portfolio provider."""
    project_ids = list(project_ids)
    merged: dict = {project_id: {} for project_id in project_ids}
    for provider in portfolio_providers:
        for project_id, values in provider(project_ids).items():
            merged.setdefault(project_id, {}).update(values)
    return merged


# --- Health and the dashboard's figures ----------------------------------------------------
# Health rules other apps contribute (projects' own are in selectors/health.py). Bulk:
#   rule(projects, settings_by_project) -> {project_id: [projects.health.Reason, ...]}
# with `settings_by_project` {project_id: projects.health.HealthSettings}. A constant number
# of queries for any number of projects (the portfolio asks for all of them at once).
health_rules: list[Callable] = []
# Providers of a project's targets for the dashboard API: (project) -> [{"metric",
# "direction", "target", "best_value", "best_run", "met", ...}] (experiments' targets).
dashboard_target_providers: list[Callable] = []


def register_health_rule(rule: Callable) -> Callable:
    if rule not in health_rules:
        health_rules.append(rule)
    return rule


def register_dashboard_targets(provider: Callable) -> Callable:
    if provider not in dashboard_target_providers:
        dashboard_target_providers.append(provider)
    return provider


def dashboard_targets(project) -> list[dict]:
    return [row for provider in dashboard_target_providers for row in provider(project)]


# --- Changes, for apps that react to them (outbound webhooks) ---------------------------
# Called by live.announce inside the write's transaction, with the same arguments:
# (*, project_id, kind, ticket_key). A listener defers its work (queries included) to
# transaction.on_commit: a write's own queries stay what they were, a rollback sends nothing.
change_listeners: list[Callable] = []


def register_change_listener(listener: Callable) -> Callable:
    if listener not in change_listeners:
        change_listeners.append(listener)
    return listener


def changed(*, project_id: int, kind: str, ticket_key: str | None = None) -> None:
    for listener in change_listeners:
        listener(project_id=project_id, kind=kind, ticket_key=ticket_key)

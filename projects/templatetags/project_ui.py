from django import template
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from projects import hooks

register = template.Library()


@register.inclusion_tag("projects/_tabs.html", takes_context=True)
def project_tabs(context, project):
    """The project's tabs: its own, then those other apps registered."""
    match = context["request"].resolver_match
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else getattr(match, "url_name", "")
    tabs = []
    is_admin = getattr(project, "user_role", None) == "admin"
    for tab in hooks.project_tabs:
        if tab["admin_only"] and not is_admin:
            continue
        try:
            url = reverse(tab["url_name"], kwargs={"key": project.key})
        except NoReverseMatch:
            continue
        tabs.append({"label": tab["label"], "url": url, "current": current in tab["match"]})
    return {"tabs": tabs}


def _fragments(registry, **kwargs):
    entries = []
    for entry in registry:
        try:
            entries.append({**entry, "url": reverse(entry["url_name"], kwargs=kwargs)})
        except NoReverseMatch:
            continue
    return entries


@register.simple_tag
def hub_sections(project):
    return _fragments(hooks.hub_sections, key=project.key)


@register.simple_tag
def dashboard_sections(project):
    return _fragments(hooks.dashboard_sections, key=project.key)


@register.simple_tag
def ticket_panels(ticket):
    return _fragments(hooks.ticket_panels, key=ticket.project.key, ticket_key=ticket.key)


@register.simple_tag(takes_context=True)
def backlog_rows(context, rows) -> str:
    """The backlog table's rows, built in Python from the display values the view made
    (projects.views.backlog._rows): 50 rows of ten cells cost more through template tags than
    the rest of the page. Every value is escaped as autoescape would; an epic's progress badge
    is still projects/_epic_progress.html."""
    can_edit = bool(context.get("can_edit"))
    html: list[str] = []
    for row in rows:
        key, url = escape(row["key"]), escape(row["url"])
        html.append(f'<tr id="ticket-{key}" data-key="{key}" class="backlog-row">\n            ')
        if can_edit:
            html.append(
                f'<td><input type="checkbox" name="tickets" value="{key}" form="backlog-plan" class="row-select" '
                f'aria-label="Select {key}"></td>\n            '
                '<td class="drag-handle" title="Drag to re-rank" aria-hidden="true">⠿</td>'
            )
        html.append(f'\n            <td><a class="key" href="{url}">{key}</a></td>\n            ')
        html.append(f'<td><a href="{url}">{escape(row["title"])}</a>\n              ')
        html.extend(
            f'<span class="badge label-badge" data-label-color="{escape(label["color"])}">'
            f"{escape(label['name'])}</span>"
            for label in row["labels"]
        )
        html.append(
            f'</td>\n            <td><span class="badge type-{escape(row["type"])}">{escape(row["type_label"])}</span>'
        )
        if row["epic_progress"]:
            html.append(" " + render_to_string("projects/_epic_progress.html", {"progress": row["epic_progress"]}))
        html.append(
            f'</td>\n            <td><span class="priority priority-{escape(row["priority"])}">'
            f"{escape(row['priority_label'])}</span></td>\n            "
            f'<td><span class="badge{" badge-ok" if row["finished"] else ""}">{escape(row["status_name"])}</span></td>'
            "\n            <td>"
        )
        assignee = row["assignee"]
        html.append(
            f'<span class="avatar avatar-small" title="{escape(assignee["label"])}">'
            f"{escape(assignee['initials'])}</span>"
            if assignee
            else '<span class="muted">—</span>'
        )
        estimate = row["estimate"]
        html.append(f"</td>\n            <td>{'' if estimate is None else escape(estimate)}</td>\n            <td>")
        sprint = row["sprint"]
        html.append(
            f'<a href="{escape(sprint["url"])}">{escape(sprint["name"])}</a>'
            if sprint
            else '<span class="muted">Backlog</span>'
        )
        html.append("</td>\n          </tr>\n          ")
    return mark_safe("".join(html))  # every value above went through escape()


NO_ESTIMATE = "\u2013"  # an en dash, as the planning lists always showed


@register.simple_tag
def plan_rows(rows, *, action: str, button: bool) -> str:
    """A sprint page's planning list (the sprint's first tickets, `action="remove"`, with
    their status; or the backlog's top, `action="add"`), built in Python from the view's
    display values (projects.views.sprints._plan_rows): up to a hundred rows on every sprint
    page. `button`: the row's Remove or Add button (the user may edit). Every value escaped."""
    label = "Remove" if action == "remove" else "Add"
    where = "from" if action == "remove" else "to"
    html: list[str] = []
    for row in rows:
        key, url = escape(row["key"]), escape(row["url"])
        html.append(f'<li data-key="{key}"><a class="key" href="{url}">{key}</a> {escape(row["title"])}\n        ')
        if "status_name" in row:
            finished = " badge-ok" if row["finished"] else ""
            html.append(f'<span class="badge{finished}">{escape(row["status_name"])}</span>\n        ')
        estimate = row["estimate"]
        html.append(f'<span class="pts">{NO_ESTIMATE if estimate is None else escape(estimate)}</span>\n        ')
        if button:
            html.append(
                f'<button class="btn btn-small" type="submit" name="ticket" value="{key}" '
                f'aria-label="{label} {key} {where} the sprint">{label}</button>'
            )
        html.append("\n      </li>\n      ")
    return mark_safe("".join(html))  # every value above went through escape()

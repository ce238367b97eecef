from django import template
from django.urls import NoReverseMatch, reverse

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

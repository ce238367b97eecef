"""Template helpers for the board and live pages."""

from urllib.parse import urlencode

from django import template

from projects import live

register = template.Library()


@register.filter
def urlencode_query(params: dict) -> str:
    """{"assignee": "ada", "type": "bug"} -> "assignee=ada&type=bug"."""
    return urlencode(params or {})


@register.filter
def sprint_title(sprint) -> str:
    """ "Sprint 2" stays "Sprint 2", "Data cleanup" reads "Sprint Data cleanup": never "Sprint Sprint 2"."""
    name = str(sprint)
    return name if name.casefold().startswith("sprint") else f"Sprint {name}"


@register.simple_tag
def project_live_etag(project) -> str:
    """The revision the page was rendered at, so the first poll already notices a change
    that happened while the page loaded. Empty while live updates are paused."""
    revision = live.project_revision(project.pk)
    return "" if revision is None else f'"{project.pk}-{revision}"'

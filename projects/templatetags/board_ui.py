"""Template helpers for the board and live pages."""
from urllib.parse import urlencode

from django import template

from projects import live

register = template.Library()


@register.filter
def urlencode_query(params: dict) -> str:
    """{"assignee": "ada", "type": "bug"} -> "assignee=ada&type=bug"."""
    return urlencode(params or {})


@register.simple_tag
def project_live_etag(project) -> str:
    """The revision the page was rendered at, so the first poll already notices a change
    that happened while the page loaded. Empty while live updates are paused."""
    revision = live.project_revision(project.pk)
    return "" if revision is None else f'"{project.pk}-{revision}"'

"""Reads of doc templates: the built-in ones and the project's own."""

from projects.models import Project

from ..builtin_templates import BUILTIN_TEMPLATES
from ..models import DocTemplate


def template_catalog(*, project: Project) -> list[dict]:
    """Built-in templates, then the project's own (which replace a built-in of the same slug)."""
    own = list(DocTemplate.objects.filter(project=project).order_by("name"))
    own_slugs = {t.slug for t in own}
    catalog = [
        {"slug": t.slug, "name": t.name, "description": t.description, "body": t.body, "builtin": True}
        for t in BUILTIN_TEMPLATES
        if t.slug not in own_slugs
    ]
    catalog += [
        {"slug": t.slug, "name": t.name, "description": t.description, "body": t.body, "builtin": False, "id": t.id}
        for t in own
    ]
    return catalog


def template_get(*, project: Project, slug: str) -> dict | None:
    return next((t for t in template_catalog(project=project) if t["slug"] == slug), None)

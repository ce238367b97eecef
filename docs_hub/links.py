"""URLs of the pages a doc links to: other docs (a ticket's page: projects.ticket_links)."""

from django.urls import reverse


def doc_url(project_key: str, slug: str) -> str:
    return reverse("docs_hub:detail", kwargs={"key": project_key, "slug": slug})


def doc_url_parts(project_key: str) -> tuple[str, str]:
    """The doc page URL of `project_key` around a slug, as (prefix, suffix): reversed once for
    an answer that links many docs (prefix + slug + suffix each), like ticket_url_parts."""
    marker = "doc-slug-marker"
    prefix, _, suffix = reverse("docs_hub:detail", kwargs={"key": project_key, "slug": marker}).partition(marker)
    return prefix, suffix

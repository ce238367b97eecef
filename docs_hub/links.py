"""URLs of the pages a doc links to: other docs (a ticket's page: projects.ticket_links)."""
from django.urls import reverse


def doc_url(project_key: str, slug: str) -> str:
    return reverse("docs_hub:detail", kwargs={"key": project_key, "slug": slug})

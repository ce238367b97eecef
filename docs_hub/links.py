"""URLs of the pages a doc links to: tickets (the projects app's page) and other docs."""
from django.urls import reverse


def ticket_url(project_key: str, ticket_key: str) -> str:
    return reverse("projects:ticket", kwargs={"key": project_key, "ticket_key": ticket_key})


def doc_url(project_key: str, slug: str) -> str:
    return reverse("docs_hub:detail", kwargs={"key": project_key, "slug": slug})

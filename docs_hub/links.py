"""URLs other apps own, resolved by name when they exist (the ticket page is built on
another branch), else by the path the contract names."""
from django.urls import NoReverseMatch, reverse

TICKET_URL_NAMES = ("projects:ticket_detail", "projects:ticket")


def ticket_url(project_key: str, ticket_key: str) -> str:
    for name in TICKET_URL_NAMES:
        try:
            return reverse(name, kwargs={"key": project_key, "ticket_key": ticket_key})
        except NoReverseMatch:
            continue
    return f"/projects/{project_key}/tickets/{ticket_key}/"


def doc_url(project_key: str, slug: str) -> str:
    return reverse("docs_hub:detail", kwargs={"key": project_key, "slug": slug})

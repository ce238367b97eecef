from django.apps import AppConfig


class DocsHubConfig(AppConfig):
    name = "docs_hub"
    verbose_name = "Docs hub"

from django.apps import AppConfig


class AihubConfig(AppConfig):
    """The project package as an app: it holds no models, only system checks."""

    name = "aihub"
    verbose_name = "AI Hub"

    def ready(self):
        from . import checks  # noqa: F401  (registers the checks)

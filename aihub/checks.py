"""System checks for a production start.

With DEBUG off, every page asks the static files manifest (staticfiles.json, written by
`collectstatic`) for the hashed name of each CSS and JS file; without it each page answers
500. `check --deploy` reports that as an error, and the WSGI entry point refuses to start
(aihub/wsgi.py), so a server that skipped collectstatic fails loudly at start instead."""

from django.conf import settings
from django.core.checks import Error, register


def static_manifest_errors() -> list[Error]:
    if settings.DEBUG:
        return []
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    hint = (
        f"Run `python manage.py collectstatic --noinput` (STATIC_ROOT is {settings.STATIC_ROOT}) before "
        "starting the web server."
    )
    if not storage.manifest_storage.exists(storage.manifest_name):
        return [
            Error(
                f"The static files manifest {storage.manifest_name} is missing from STATIC_ROOT: with "
                "DEBUG off every page would answer 500.",
                hint=hint,
                id="aihub.E001",
            )
        ]
    if not storage.load_manifest():
        return [
            Error(
                f"The static files manifest {storage.manifest_name} in STATIC_ROOT is empty or unreadable.",
                hint=hint,
                id="aihub.E001",
            )
        ]
    return []


@register(deploy=True)
def static_manifest_check(app_configs=None, **kwargs):
    return static_manifest_errors()


def refuse_to_serve_unless_ready(*, static: bool = True) -> None:
    """Called where a long-running process starts (the WSGI entry point, Celery worker and
    beat): a build-time environment or a missing static manifest stops it with the reason."""
    from django.core.exceptions import ImproperlyConfigured

    if getattr(settings, "BUILD_ONLY", False):
        raise ImproperlyConfigured(
            "AIHUB_BUILD_ONLY is set: it is for build steps such as collectstatic only. "
            "Unset it and give a real SECRET_KEY to serve."
        )
    errors = static_manifest_errors() if static else []
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")

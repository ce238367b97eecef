import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aihub.settings")
application = get_wsgi_application()

from aihub.checks import refuse_to_serve_unless_ready  # noqa: E402

refuse_to_serve_unless_ready()

if os.environ.get("AIHUB_GC_FREEZE", "true").lower() not in {"0", "false", "no"}:
    from aihub.runtime import freeze_startup_heap

    freeze_startup_heap()

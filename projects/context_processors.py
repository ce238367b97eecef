import functools

from django.utils.functional import SimpleLazyObject

from .selectors import project_switcher, unread_notification_count


def navigation(request):
    """The project switcher, queried only if a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "switcher_projects": SimpleLazyObject(lambda: project_switcher(user=user)),
        # The bell's unread count: one COUNT on an index, only on pages that show the header.
        # A callable: the template calls it (once, cached) only when it renders the bell.
        "unread_notifications": functools.cache(lambda: unread_notification_count(user=user)),
    }

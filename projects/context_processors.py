import functools

from django.utils.functional import SimpleLazyObject

from .selectors import header_navigation


def navigation(request):
    """The project switcher and the bell's unread count, queried only if a template reads
    one of them, and then both in one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    header = functools.cache(lambda: header_navigation(user=user))
    return {
        "switcher_projects": SimpleLazyObject(lambda: header()[0]),
        # The bell's unread count: a callable, called (once) only when the template renders the bell.
        "unread_notifications": lambda: header()[1],
    }

from django.utils.functional import SimpleLazyObject

from .selectors import project_switcher


def navigation(request):
    """The project switcher, queried only if a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"switcher_projects": SimpleLazyObject(lambda: project_switcher(user=user))}

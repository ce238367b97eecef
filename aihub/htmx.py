"""One way to pick an htmx partial (django-htmx's example: the view serves the page and
its fragment, `template_name + "#partial"`).

The rule: a request wants a partial when htmx sent it (`HX-Request`) and it is neither a
boosted link or form (`HX-Boosted`: htmx swaps the whole body, so it wants the page) nor a
history restore (`HX-History-Restore-Request`: htmx 2 sends it on a cache miss after
Back and puts the answer in place of the whole body). No query parameter picks a partial:
each `hx-get` asks for the page's URL and the view knows which region that request swaps.
"""

from django.http import HttpRequest


def wants_partial(request: HttpRequest) -> bool:
    """True when the answer should be a fragment of the page rather than the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def partial_template(request: HttpRequest, template_name: str, partial: str) -> str:
    """`template_name#partial` for a partial request, else `template_name` (the page)."""
    return f"{template_name}#{partial}" if wants_partial(request) else template_name

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def metric(value):
    """A metric as people read it: 4 significant digits; NaN and infinities as words."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.4g}"
    return value


@register.filter
def duration(seconds):
    if seconds is None:
        return "—"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


@register.filter
def json_for_chart(value):
    """JSON safe inside <script type="application/json"> (as json_script escapes it)."""
    import json

    from django.utils.html import _json_script_escapes
    from django.utils.safestring import mark_safe

    return mark_safe(json.dumps(value, allow_nan=False).translate(_json_script_escapes))

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import json_script

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


class _FiniteJSONEncoder(DjangoJSONEncoder):
    """NaN and infinities are not JSON: refuse them rather than emit what JSON.parse rejects."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "allow_nan": False})


@register.simple_tag
def chart_json_script(series, number):
    """The series of chart `number` as <script type="application/json" id="chart-data-N">,
    through Django's json_script (escapes <, > and &: a run name cannot end the script)."""
    return json_script(series, f"chart-data-{number}", encoder=_FiniteJSONEncoder)

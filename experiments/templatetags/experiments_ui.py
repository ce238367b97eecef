from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html, json_script

from ..numbers import metric_full, metric_text

register = template.Library()


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def metric(value):
    """A metric as people read it (experiments.numbers: 4 significant digits), the value as
    logged in the title when the two differ."""
    text, full = metric_text(value), metric_full(value)
    if not full or full == text:
        return text
    return format_html('<span class="metric-value" title="{}">{}</span>', full, text)


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

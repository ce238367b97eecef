from urllib.parse import quote

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import conditional_escape, escape, format_html, json_script
from django.utils.safestring import mark_safe

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


def _status_badge(status: str) -> str:
    if status == "FINISHED":
        return "badge-ok"
    return "badge-fail" if status in ("FAILED", "KILLED") else "badge-warn"


@register.simple_tag(takes_context=True)
def runs_table_rows(context, runs) -> str:
    """The runs table's body, built in Python: a page of 50 runs with 24 columns is about
    1,500 cells, which cost more through template tags than the rest of the page. The cells'
    text comes from the view (experiments.views.runs._table_cells); every value is escaped
    here as autoescape would."""
    prefix = escape(context.get("run_url_prefix", ""))
    ticket_prefix = escape(context.get("ticket_url_prefix", ""))
    html: list[str] = []
    for run in runs:
        run_id = escape(run.run_id)
        status = run.status or ""
        html.append(
            f'<tr id="run-{run_id}">\n      <td><input type="checkbox" name="run" value="{run_id}" '
            f'aria-label="Select {escape(run.name or run.run_id)}"></td>\n      '
            f'<td><a href="{prefix}{escape(quote(run.run_id, safe="/"))}/">{escape(run.table_name)}</a>'
            + (f' <span class="badge">{escape(run.lifecycle)}</span>' if run.deleted else "")
            + f'</td>\n      <td><span class="badge {_status_badge(status)}">{escape(status.lower())}</span></td>'
            f"\n      <td>{escape(run.started_text)}</td><td>{escape(run.duration_text)}</td>\n      "
        )
        html.extend(f"<td>{conditional_escape(cell)}</td>" for cell in run.metric_cells)
        html.append("\n      ")
        html.extend(f"<td>{conditional_escape(cell)}</td>" for cell in run.param_cells)
        html.append('\n      <td class="run-tickets">')
        html.extend(
            f'<a class="badge" href="{ticket_prefix}{escape(ticket.key)}/">{escape(ticket.key)}</a> '
            for ticket in run.linked_tickets
        )
        html.append("</td>\n    </tr>\n    ")
    return mark_safe("".join(html))  # every value above went through escape()

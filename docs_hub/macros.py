"""Live macros: `{{ticket:CV-12}}`, `{{run:RUN_ID metric:val_f1}}`.

A resolver per kind answers a batch of macros of one project at once (one or two queries),
returning for each a value: {"text", "url"?, "state"?}. A saved revision stores these
values; the current page asks the resolvers again. Other kinds register here."""

import re
from collections.abc import Callable

from django.urls import reverse
from django.utils.html import escape

from experiments.models import Run
from experiments.numbers import metric_text
from projects.models import Ticket
from projects.ticket_links import ticket_url

MACRO = re.compile(r"\{\{\s*(?P<kind>[a-z]+):(?P<arg>[^\s{}]+)(?P<options>(?:\s+[a-z_]+:[^\s{}]+)*)\s*\}\}")
PLACEHOLDER = "\u27e6macro-{}\u27e7"
PLACEHOLDER_RE = re.compile("\u27e6macro-(\\d+)\u27e7")

# kind -> resolver(project, macros: list[dict]) -> list[value dict], same order.
resolvers: dict[str, Callable] = {}


def register_macro_resolver(kind: str, resolver: Callable) -> Callable:
    resolvers[kind] = resolver
    return resolver


def parse_options(text: str) -> dict:
    return dict(part.split(":", 1) for part in text.split())


# A template's stand-in such as RUN_ID or BASELINE_RUN_ID (MLflow run ids are lowercase hex,
# ticket keys have a hyphen): shown as a hint to pick one, never looked up.
PLACEHOLDER_ARG = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def placeholder_value(macro: dict) -> dict:
    kind = macro["kind"]
    return {
        "text": f"pick a {kind}: replace {macro['arg']} with a {kind} {'key' if kind == 'ticket' else 'id'}",
        "state": "placeholder",
    }


def resolve(project, macros: list[dict]) -> list[dict]:
    """Values for every macro, in order, asking each kind's resolver once."""
    values: list[dict | None] = [None] * len(macros)
    by_kind: dict[str, list[int]] = {}
    for index, macro in enumerate(macros):
        if PLACEHOLDER_ARG.match(macro["arg"]):
            values[index] = placeholder_value(macro)
            continue
        by_kind.setdefault(macro["kind"], []).append(index)
    for kind, indexes in by_kind.items():
        resolver = resolvers.get(kind)
        if resolver is None:
            for index in indexes:
                values[index] = {"text": f"unknown macro “{kind}”", "state": "missing"}
            continue
        for index, value in zip(indexes, resolver(project, [macros[i] for i in indexes]), strict=True):
            values[index] = value
    return [value or {"text": "?", "state": "missing"} for value in values]


def resolve_many(project, macro_lists: list[list[dict]]) -> list[list[dict]]:
    """Resolve the macros of many docs of one project with one call per kind."""
    flat = [macro for macros in macro_lists for macro in macros]
    values = resolve(project, flat) if flat else []
    out, start = [], 0
    for macros in macro_lists:
        out.append(values[start : start + len(macros)])
        start += len(macros)
    return out


def macro_html(macro: dict, value: dict) -> str:
    state = value.get("state") or "ok"
    text = escape(value.get("text", ""))
    inner = f'<a href="{escape(value["url"])}">{text}</a>' if value.get("url") else text
    return (
        f'<span class="macro macro-{escape(macro["kind"])} macro-{escape(state)}" '
        f'title="{escape(macro.get("source", ""))}">{inner}</span>'
    )


def fill(html: str, macros: list[dict], values: list[dict]) -> str:
    """Put macro values into stored HTML (placeholders -> escaped spans we build)."""

    def replace(match: re.Match) -> str:
        index = int(match.group(1))
        if index >= len(macros) or index >= len(values):
            return ""
        return macro_html(macros[index], values[index])

    return PLACEHOLDER_RE.sub(replace, html)


# --- Built-in resolvers -------------------------------------------------------------------


def resolve_tickets(project, macros: list[dict]) -> list[dict]:
    keys = {macro["arg"].upper() for macro in macros}
    tickets = {t.key: t for t in Ticket.objects.filter(project=project, key__in=keys).select_related("status")}
    values = []
    for macro in macros:
        ticket = tickets.get(macro["arg"].upper())
        if ticket is None:
            values.append({"text": f"{macro['arg']}: ticket not found", "state": "missing"})
            continue
        state = "done" if ticket.status.is_finished else "open"
        values.append(
            {
                "text": f"{ticket.key} {ticket.title} [{ticket.status.name}]",
                "state": state,
                "url": ticket_url(ticket.key),
            }
        )
    return values


def _short(run_id: str) -> str:
    return run_id if len(run_id) <= 16 else f"{run_id[:12]}…"


def _format_metric(value) -> str:
    return metric_text(value)


def resolve_runs(project, macros: list[dict]) -> list[dict]:
    ids = {macro["arg"] for macro in macros}
    runs = {run.run_id: run for run in Run.objects.filter(project=project, run_id__in=ids)}
    values = []
    for macro in macros:
        run = runs.get(macro["arg"])
        if run is None:
            values.append({"text": f"run {_short(macro['arg'])}: run not found", "state": "missing"})
            continue
        label = run.name or _short(run.run_id)
        metric = macro.get("options", {}).get("metric")
        status = run.status
        if metric:
            metrics = run.metrics or {}
            if metric in metrics:
                text = f"{metric} = {_format_metric(metrics[metric])} ({label})"
                state = "ok"
            else:
                text, state = f"{metric}: no value ({label})", "missing"
        else:
            text, state = f"{label} [{status}]", "ok"
        values.append({"text": text, "state": state, "url": _run_url(project.key, run.run_id)})
    return values


def _run_url(project_key: str, run_id: str) -> str:
    return reverse("experiments:run", kwargs={"key": project_key, "run_id": run_id})


register_macro_resolver("ticket", resolve_tickets)
register_macro_resolver("run", resolve_runs)

"""Status reports: when a project's weekly report is due, and the Markdown it says.

Pure functions, no queries: `docs_hub/selectors/reports.py` reads the figures (health,
sprint, targets, gates, risks, what is next) and `docs_hub/services/reports.py` writes the
page through `doc_create`, so a report is a normal doc page (versioned, searchable, with
backlinks to the tickets it names). The Markdown holds the numbers as they were when it
was generated: no live macros, nothing is recomputed when the page is shown.

The schedule is a weekday and a time in UTC (Project.status_report_weekday/_time). The
beat looks every 15 minutes; a slot is due from its time until DUE_WINDOW later, so a
report a worker outage delays by more than that is skipped for the week (Generate now
writes one any time)."""

import datetime
import re

from experiments.numbers import metric_text

UTC = datetime.UTC
DUE_WINDOW = datetime.timedelta(hours=24)
PARENT_TITLE = "Status reports"
# Rows a report lists per section at most (the rest is counted: "and 3 more").
MAX_ROWS = 20


def weekly_slot(now: datetime.datetime, *, weekday: int, at: datetime.time) -> datetime.datetime:
    """The latest moment at or before `now` that falls on `weekday` (0 = Monday) at `at`, UTC."""
    now = now.astimezone(UTC)
    day = now.date() - datetime.timedelta(days=(now.weekday() - weekday) % 7)
    slot = datetime.datetime.combine(day, at.replace(tzinfo=None), tzinfo=UTC)
    if slot > now:
        slot -= datetime.timedelta(days=7)
    return slot


def due_period(now: datetime.datetime, *, weekday: int, at: datetime.time) -> datetime.date | None:
    """The period (the slot's date) whose report is due at `now`, or None when no slot
    started within DUE_WINDOW. Whether it was written already is the caller's question."""
    slot = weekly_slot(now, weekday=weekday, at=at)
    return slot.date() if now - slot < DUE_WINDOW else None


def report_title(*, generated_at: datetime.datetime, period: datetime.date | None) -> str:
    if period is not None:
        return f"Status report {period.isoformat()}"
    return f"Status report {generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# --- Markdown -------------------------------------------------------------------------------
# Text people typed (titles, names, reasons) goes into the page as text: Markdown and HTML
# characters are escaped, so `{{` (a live macro) and `[[` (a page link) cannot form. Ticket
# keys stay plain ("CV-12"), so the page links them and the ticket lists the report; inside a
# link's label (md_label) the hyphen is escaped too, so a key there is not made a link in a link.
_MD_ESCAPE = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def md(text) -> str:
    text = " ".join(str(text if text is not None else "").split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_ESCAPE.sub(r"\\\1", text)


def md_label(text) -> str:
    return md(text).replace("-", "\\-")


def _number(value) -> str:
    return metric_text(value)


def _link(label: str, url: str | None) -> str:
    return f"[{md_label(label)}]({url})" if url else md(label)


def _more(rows: list, shown: int = MAX_ROWS) -> str:
    extra = len(rows) - shown
    return f"- … and {extra} more" if extra > 0 else ""


def _health(health: dict) -> list[str]:
    lines = [f"## Health: {health['label']}", ""]
    if not health["reasons"]:
        lines.append("No health rule fired.")
    for reason in health["reasons"]:
        lines.append(f"- **{md(reason['severity_label'])}**: {md(reason['message'])}")
    return lines


def _sprint(sprint: dict | None) -> list[str]:
    lines = ["## Sprint progress", ""]
    if sprint is None:
        return [*lines, "No active sprint."]
    days = sprint["days_left"]
    return [
        *lines,
        f"{_link(sprint['name'], sprint['url'])}, {sprint['start_date']} to {sprint['end_date']}: "
        f"{days} day{'' if days == 1 else 's'} left.",
        "",
        "| Committed at start | Added | Removed | Completed | Remaining | Ideal remaining today |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {sprint['committed_points']} | {sprint['added_points']} | {sprint['removed_points']} "
        f"| {sprint['completed_points']} | {sprint['remaining_points']} "
        f"| {_number(sprint['ideal_remaining_points'])} |",
        "",
        "In story points.",
    ]


def _target_goal(target: dict) -> str:
    return f"{'≥' if target['direction'] == 'higher' else '≤'} {_number(target['target'])}"


def _targets(targets: list[dict], first: bool) -> list[str]:
    lines = ["## Targets", ""]
    if not targets:
        return [*lines, "No targets yet."]
    lines += [
        "| Metric | Target | At the last report | Now | Best run |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for t in targets:
        then = "—" if first else _number(t["then_value"])
        now = _number(t["best_value"]) + (" (met)" if t["met"] else "")
        run = _link(t["best_run_name"], t["best_run_url"]) if t["best_run"] else "—"
        lines.append(f"| {md(t['metric'])} | {_target_goal(t)} | {then} | {now} | {run} |")
    moved = [t for t in targets if t["moved_by"]]
    lines.append("")
    if not moved:
        lines.append("No run moved a target since the last report." if not first else "No run has a target metric yet.")
        return lines
    lines.append("Runs that set a new best since the last report:" if not first else "Runs that set each best so far:")
    lines.append("")
    for t in moved:
        steps = ", ".join(
            f"{_link(step['name'], step['url'])} ({_number(step['value'])}, {step['date']})" for step in t["moved_by"]
        )
        lines.append(f"- {md(t['metric'])}: {steps}")
    return lines


def _gate_line(gate: dict) -> str:
    best = _number(gate["best_value"])
    run = f" in {_link(gate['best_run_name'], gate['best_run_url'])}" if gate["best_run"] else ""
    return f"- {gate['ticket_key']} {md(gate['ticket_title'])}: {md(gate['gate'])}, best {best}{run}"


def _gates(passed: list[dict], failed: list[dict], first: bool) -> list[str]:
    since = "so far" if first else "since the last report"
    lines = ["## Metric gates", ""]
    if not passed and not failed:
        return [*lines, f"No gate passed or failed {since}."]
    for title, rows in ((f"Passed {since}", passed), (f"Failed {since}", failed)):
        if rows:
            lines += [f"{title}:", "", *(_gate_line(g) for g in rows[:MAX_ROWS]), _more(rows), ""]
    return lines


def _risk_line(risk: dict) -> str:
    return f"- {_link(risk['title'], risk['url'])}: score {risk['score']}, {md(risk['status_label'])}"


def _risks(opened: list[dict], closed: list[dict], first: bool) -> list[str]:
    since = "so far" if first else "since the last report"
    lines = ["## Risks", ""]
    if not opened and not closed:
        return [*lines, f"No risk opened, closed or accepted {since}."]
    for title, rows in ((f"Opened {since}", opened), (f"Closed or accepted {since}", closed)):
        if rows:
            lines += [f"{title}:", "", *(_risk_line(r) for r in rows[:MAX_ROWS]), _more(rows), ""]
    return lines


def _next(next_: dict) -> list[str]:
    lines = ["## What is next", ""]
    milestone = next_.get("milestone")
    if milestone:
        lines += [f"Next milestone: **{md(milestone['name'])}**, due {milestone['due_date']}.", ""]
    if not next_["tickets"]:
        return [*lines, "The backlog is empty."]
    lines += ["Top of the backlog:", ""]
    for ticket in next_["tickets"]:
        points = f", {ticket['estimate']} pt" if ticket["estimate"] else ""
        where = f", {md(ticket['sprint'])}" if ticket["sprint"] else ""
        lines.append(f"- {ticket['key']} {md(ticket['title'])} ({md(ticket['status'])}{points}{where})")
    return lines


def compose_markdown(figures: dict) -> str:
    """The report's Markdown from `figures` (selectors.status_report_figures)."""
    first = figures["previous"] is None
    generated = datetime.datetime.fromisoformat(figures["generated_at"]).astimezone(UTC)
    intro = (
        f"Status of {md(figures['project_name'])} on {generated:%Y-%m-%d} at {generated:%H:%M} UTC. "
        "The figures are as they were when this report was written; they do not change."
    )
    if first:
        previous = "This is the project's first status report."
    else:
        at = datetime.datetime.fromisoformat(figures["previous"]["generated_at"]).astimezone(UTC)
        title = figures["previous"]["title"]
        page = f"[[{title}]]" if title else "its page was deleted"
        previous = f"Previous report: {at:%Y-%m-%d %H:%M} UTC ({page}). “Since the last report” means since then."
    parts = [
        [intro, "", previous],
        _health(figures["health"]),
        _sprint(figures["sprint"]),
        _targets(figures["targets"], first),
        _gates(figures["gates_passed"], figures["gates_failed"], first),
        _risks(figures["risks_opened"], figures["risks_closed"], first),
        _next(figures["next"]),
    ]
    text = "\n\n".join("\n".join(part).strip() for part in parts)
    return re.sub(r"\n{3,}", "\n\n", text) + "\n"

"""Flow charts of the dashboard: the cumulative flow and the cycle-time distribution, each an
htmx section of its own (templates/projects/_cumulative_flow.html, _cycle_time.html) that
the dashboard loads after the page; every member, viewers included, sees them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import selectors
from ..access import project_for
from ..selectors import flow

# The ranges a reader can pick for the cumulative flow: days back from today, or the active
# sprint's days.
FLOW_RANGES = (("sprint", "Active sprint"), ("14", "Last 14 days"), ("30", "Last 30 days"), ("90", "Last 90 days"))


def _flow_chart(data: dict) -> dict:
    """What static/js/charts.js draws: a stacked area per status (workflow order)."""
    return {
        "labels": [row["date"].isoformat() for row in data["rows"]],
        "series": [
            {
                "label": status["name"],
                "finished": status["is_finished"],
                "data": [row["counts"][i] for row in data["rows"]],
            }
            for i, status in enumerate(data["statuses"])
        ],
    }


@login_required
def cumulative_flow_section(request, key):
    """The cumulative flow section: tickets per status per day over the chosen range
    (`?range=`: one of FLOW_RANGES; the last 30 days unless chosen)."""
    project = project_for(request.user, key)
    chosen = request.GET.get("range") or str(flow.DEFAULT_FLOW_DAYS)
    notice = ""
    if chosen not in dict(FLOW_RANGES):
        notice, chosen = "Unknown range: showing the last 30 days.", str(flow.DEFAULT_FLOW_DAYS)
    if chosen == "sprint":
        sprint = selectors.active_sprint(project=project)
        if sprint is None:
            notice, chosen = "No active sprint: showing the last 30 days.", str(flow.DEFAULT_FLOW_DAYS)
            data = flow.cumulative_flow(project, flow.DEFAULT_FLOW_DAYS)
        else:
            first, last = flow.sprint_days(sprint)
            data = flow.cumulative_flow(project, start=first, end=last)
    else:
        data = flow.cumulative_flow(project, int(chosen))
    context = {
        "project": project,
        "flow": data,
        "chart": _flow_chart(data),
        "ranges": FLOW_RANGES,
        "chosen": chosen,
        "notice": notice,
    }
    return render(request, "projects/_cumulative_flow.html", context)


@login_required
def cycle_time_section(request, key):
    """The cycle-time section: the distribution of in-progress-to-finished times of the
    tickets finished in the last 90 days, with the median and the 85th percentile."""
    project = project_for(request.user, key)
    data = flow.cycle_times(project)
    chart = {"labels": [b["label"] for b in data["bins"]], "counts": [b["count"] for b in data["bins"]]}
    return render(request, "projects/_cycle_time.html", {"project": project, "cycle": data, "chart": chart})

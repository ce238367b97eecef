"""The experiments charts of the project dashboard, each an htmx section registered with
projects.hooks.register_dashboard_section: the metric burn-up beside the burndown and the
runs and failed runs per sprint. Every member, viewers included, sees them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from projects.access import project_for
from projects.selectors import active_sprint

from .. import selectors


@login_required
def burnup_section(request, key):
    """The primary target's best value so far per day of the active sprint, against the target."""
    project = project_for(request.user, key)
    data = selectors.metric_burnup(project, active_sprint(project=project))
    chart = None
    if data["days"]:
        target = data["target"]
        chart = {
            "metric": target.metric,
            "target": target.target,
            "baseline": target.baseline,
            "days": [{"date": day["date"].isoformat(), "best": day["best"]} for day in data["days"]],
        }
    return render(request, "experiments/_burnup.html", {"project": project, "burnup": data, "chart": chart})


@login_required
def runs_per_sprint_section(request, key):
    """Runs and failed runs started in each of the last sprints."""
    project = project_for(request.user, key)
    rows = selectors.runs_per_sprint(project)
    chart = {
        "labels": [row["name"] for row in rows],
        "runs": [row["runs"] for row in rows],
        "failed": [row["failed"] for row in rows],
    }
    return render(request, "experiments/_runs_per_sprint.html", {"project": project, "rows": rows, "chart": chart})

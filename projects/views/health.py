"""The dashboard's forecast section on its own URL: the scope chooser (remaining backlog, an
epic, chosen tickets) asks it for the forecast of another scope (htmx swaps the section;
without JavaScript it is a page of its own). Viewers see it like every member."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render

from aihub.htmx import wants_partial

from .. import selectors
from ..access import project_for
from ..selectors.forecast import SCOPES


def forecast_chart(forecast: dict) -> dict:
    """What static/js/forecast.js draws: trials finished per day (bars) and the share done
    by each day (a line), with the 50 % and 85 % dates."""
    bars = forecast["distribution"]
    return {
        "labels": [bar["date"].isoformat() for bar in bars],
        "trials": [bar["trials"] for bar in bars],
        "cumulative": [bar["cumulative"] for bar in bars],
        "p50": forecast["p50_date"].isoformat() if forecast["p50_date"] else None,
        "p85": forecast["p85_date"].isoformat() if forecast["p85_date"] else None,
    }


def forecast_context(project, params) -> dict:
    """The forecast section's context for the scope in `params` (a query dict). A bad scope
    (unknown epic or key) shows its message and the remaining backlog's forecast."""
    errors = {}
    try:
        scope = selectors.ForecastScope.from_query(params)
        forecast = selectors.project_forecast(project, scope=scope)
    except ValidationError as error:
        errors = error.message_dict
        scope = selectors.ForecastScope()
        forecast = selectors.project_forecast(project, scope=scope)
    return {
        "forecast": forecast,
        "forecast_chart": forecast_chart(forecast),
        "forecast_scopes": SCOPES,
        "forecast_epics": selectors.forecast_epics(project=project),
        "forecast_asked": {
            "scope": params.get("scope") or "remaining",
            "epic": params.get("epic") or "",
            "tickets": params.get("tickets") or "",
        },
        "forecast_errors": [message for messages in errors.values() for message in messages],
    }


@login_required
def forecast_section(request, key):
    project = project_for(request.user, key)
    context = {"project": project, **forecast_context(project, request.GET)}
    template = "projects/_forecast.html" if wants_partial(request) else "projects/forecast.html"
    return render(request, template, context)

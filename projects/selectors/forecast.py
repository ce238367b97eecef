"""The forecast of a project's work: when the remaining backlog, an epic, or a chosen set
of tickets will be finished, from the last weeks of daily throughput (tickets finished per
day). Four queries whatever the size of the project; the trials run in `forecast.py`."""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..forecast import DEFAULT_SEED, DEFAULT_TRIALS, ForecastRefused, simulate
from ..models import Project, Ticket, TicketType

SCOPES = (("remaining", "Remaining backlog"), ("epic", "An epic"), ("tickets", "Chosen tickets"))
MAX_CHOSEN_TICKETS = 200
# The distribution chart shows at most about this many bars (days grouped when the range is wide).
MAX_BARS = 60


@dataclass(frozen=True)
class ForecastScope:
    """What to forecast: "remaining" (every open ticket but epics), "epic" (the open
    tickets under an epic, by key) or "tickets" (open tickets among chosen keys)."""

    kind: str = "remaining"
    epic: str = ""
    tickets: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_query(cls, params) -> "ForecastScope":
        kind = (params.get("scope") or "remaining").strip()
        if kind not in dict(SCOPES):
            raise ValidationError({"scope": [f"Choose one of: {', '.join(dict(SCOPES))}."]})
        epic = (params.get("epic") or "").strip()
        keys = tuple(dict.fromkeys(k for k in re.split(r"[\s,;]+", params.get("tickets") or "") if k))
        if kind == "epic" and not epic:
            raise ValidationError({"epic": ["Choose an epic."]})
        if kind == "tickets":
            if not keys:
                raise ValidationError({"tickets": ["Give one or more ticket keys, e.g. CV-12, CV-14."]})
            if len(keys) > MAX_CHOSEN_TICKETS:
                raise ValidationError({"tickets": [f"At most {MAX_CHOSEN_TICKETS} tickets."]})
        return cls(kind=kind, epic=epic if kind == "epic" else "", tickets=keys if kind == "tickets" else ())

    def as_query(self) -> dict:
        query = {"scope": self.kind}
        if self.epic:
            query["epic"] = self.epic
        if self.tickets:
            query["tickets"] = ", ".join(self.tickets)
        return query


def daily_throughput(*, project: Project, weeks: int, today: datetime.date | None = None) -> dict:
    """Tickets (epics aside) finished per calendar day over the last `weeks` weeks up to
    yesterday (today is not over yet), or since the project's first ticket when that is
    later. Two queries."""
    today = today or timezone.localdate()
    last = today - datetime.timedelta(days=1)
    first = today - datetime.timedelta(days=7 * weeks)
    started = Ticket.objects.filter(project=project).aggregate(first=Min("created_at"))["first"]
    if started is not None:
        first = max(first, timezone.localtime(started).date())
    tz = timezone.get_current_timezone()
    counts = dict(
        Ticket.objects.filter(
            project=project,
            status__is_finished=True,
            finished_at__gte=datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
            finished_at__lt=datetime.datetime.combine(today, datetime.time.min, tzinfo=tz),
        )
        .exclude(type=TicketType.EPIC)
        .annotate(day=TruncDate("finished_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("day", "n")
    )
    days = [first + datetime.timedelta(days=i) for i in range(max((last - first).days + 1, 0))]
    return {"from": first, "to": last, "per_day": [counts.get(day, 0) for day in days]}


def _open_count(project: Project, scope: ForecastScope) -> tuple[int, str]:
    """How many open tickets the scope holds, and how to name the scope. One query."""
    open_ = Q(status__is_finished=False)
    if scope.kind == "epic":
        epic = (
            Ticket.objects.filter(project=project, key=scope.epic, type=TicketType.EPIC)
            .annotate(open=Count("children", filter=Q(children__status__is_finished=False)))
            .values("key", "title", "open")
            .first()
        )
        if epic is None:
            raise ValidationError({"epic": [f"{scope.epic} is not an epic of {project.key}."]})
        return epic["open"], f"epic {epic['key']} · {epic['title']}"
    if scope.kind == "tickets":
        rows = dict(
            Ticket.objects.filter(project=project, key__in=scope.tickets)
            .order_by()
            .values_list("key", "status__is_finished")
        )
        unknown = [key for key in scope.tickets if key not in rows]
        if unknown:
            raise ValidationError({"tickets": [f"Not tickets of {project.key}: {', '.join(unknown)}."]})
        return sum(1 for finished in rows.values() if not finished), f"{len(rows)} chosen tickets"
    count = Ticket.objects.filter(open_, project=project).exclude(type=TicketType.EPIC).count()
    return count, "the remaining backlog"


def _bars(simulation, today: datetime.date) -> list[dict]:
    histogram = simulation.histogram()
    first, last = histogram[0][0], histogram[-1][0]
    width = max(-(-(last - first + 1) // MAX_BARS), 1)
    bars: dict[int, int] = {}
    for days, count in histogram:
        start = first + (days - first) // width * width
        bars[start] = bars.get(start, 0) + count
    out, running = [], 0
    for start, count in sorted(bars.items()):
        running += count
        out.append(
            {
                "date": today + datetime.timedelta(days=start + width - 1),
                "days": start + width - 1,
                "trials": count,
                "share": round(100 * count / simulation.trials, 1),
                "cumulative": round(100 * running / simulation.trials, 1),
            }
        )
    return out


def project_forecast(
    project: Project,
    *,
    scope: ForecastScope | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    today: datetime.date | None = None,
) -> dict:
    """The forecast for `scope` (default: the remaining backlog), as a dict: `available`
    (False with a `message` when there is too little history or nothing open), the number
    of open tickets, the 50 % and 85 % dates and days, the history used, and the
    distribution as bars {date, days, trials, share, cumulative}. Raises ValidationError for
    an unknown epic or ticket key."""
    scope = scope or ForecastScope()
    today = today or timezone.localdate()
    remaining, label = _open_count(project, scope)
    history = daily_throughput(project=project, weeks=project.forecast_weeks, today=today)
    per_day = history["per_day"]
    used = {
        "from": history["from"],
        "to": history["to"],
        "days": len(per_day),
        "weeks": project.forecast_weeks,
        "finished": sum(per_day),
        "per_day": round(sum(per_day) / len(per_day), 2) if per_day else 0,
    }
    out = {
        "available": False,
        "message": "",
        "scope": scope.kind,
        "scope_label": label,
        "epic": scope.epic or None,
        "tickets": list(scope.tickets),
        "remaining": remaining,
        "trials": trials,
        "seed": seed,
        "history": used,
        "p50_date": None,
        "p85_date": None,
        "p50_days": None,
        "p85_days": None,
        "distribution": [],
    }
    if remaining == 0:
        out["message"] = f"Nothing to forecast: every ticket of {label} is finished."
        return out
    try:
        simulation = simulate(per_day, remaining, trials=trials, seed=seed)
    except ForecastRefused as refused:
        out["message"] = str(refused)
        return out
    p50, p85 = simulation.percentile_days(0.5), simulation.percentile_days(0.85)
    out.update(
        available=True,
        p50_days=p50,
        p85_days=p85,
        p50_date=today + datetime.timedelta(days=p50),
        p85_date=today + datetime.timedelta(days=p85),
        distribution=_bars(simulation, today),
    )
    return out


def forecast_epics(*, project: Project, limit: int = 100) -> list[dict]:
    """Epics with open work, for the scope chooser (newest first, at most `limit`)."""
    return list(
        Ticket.objects.filter(project=project, type=TicketType.EPIC, status__is_finished=False)
        .order_by("-number")
        .values("key", "title")[:limit]
    )

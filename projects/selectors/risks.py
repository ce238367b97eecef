"""Reads for the risk register: the filtered, sorted list (risks with their owner and
linked tickets in three queries whatever their number), the likelihood x impact heat map
(one grouped count), one risk, and the risks of a ticket."""

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, QuerySet

from ..models import (
    ACTIVE_RISK_STATUSES,
    HIGH_RISK_SCORE,
    RISK_SCALE,
    Project,
    Risk,
    RiskStatus,
    Ticket,
    risk_band,
)
from ..models import risk_score_expression as score_expression

RISK_SORTS = {
    "score": "Highest score first",
    "review": "Review date, soonest first",
    "newest": "Newest first",
}
# The status filter's values besides a single status: "active" (open and mitigating, the
# default) and "all".
STATUS_FILTERS = ("active", "all", *RiskStatus.values)


def _rating(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number in RISK_SCALE else None


@dataclass(frozen=True)
class RiskFilters:
    """What the register page and the API list filter on, read from a query string."""

    status: str = "active"
    likelihood: int | None = None
    impact: int | None = None
    high: bool = False
    sort: str = "score"

    @classmethod
    def from_query(cls, query) -> "RiskFilters":
        status = query.get("status") or "active"
        sort = query.get("sort") or "score"
        return cls(
            status=status if status in STATUS_FILTERS else "active",
            likelihood=_rating(query.get("likelihood")),
            impact=_rating(query.get("impact")),
            high=str(query.get("high", "")).lower() in ("1", "true", "yes", "on"),
            sort=sort if sort in RISK_SORTS else "score",
        )

    def statuses(self) -> tuple[str, ...] | None:
        if self.status == "all":
            return None
        if self.status == "active":
            return tuple(ACTIVE_RISK_STATUSES)
        return (self.status,)

    def query(self, **changes) -> dict:
        """This filter as query parameters (defaults left out), with `changes` applied."""
        values = {
            "status": self.status,
            "likelihood": self.likelihood,
            "impact": self.impact,
            "high": "1" if self.high else None,
            "sort": self.sort,
        } | changes
        defaults = {"status": "active", "sort": "score"}
        return {k: v for k, v in values.items() if v not in (None, "", False) and defaults.get(k) != v}


def _by_status(queryset: QuerySet, filters: RiskFilters) -> QuerySet:
    statuses = filters.statuses()
    return queryset if statuses is None else queryset.filter(status__in=statuses)


def risk_list(*, project: Project, filters: RiskFilters | None = None) -> QuerySet[Risk]:
    """The project's risks that match `filters`, sorted, each with its owner and its
    linked tickets (key, title, status) prefetched."""
    filters = filters or RiskFilters()
    risks = _by_status(Risk.objects.filter(project=project), filters).alias(risk_score=score_expression())
    if filters.likelihood is not None:
        risks = risks.filter(likelihood=filters.likelihood)
    if filters.impact is not None:
        risks = risks.filter(impact=filters.impact)
    if filters.high:
        risks = risks.filter(risk_score__gte=HIGH_RISK_SCORE)
    if filters.sort == "review":
        order = (F("review_date").asc(nulls_last=True), F("risk_score").desc(), "-id")
    elif filters.sort == "newest":
        order = ("-id",)
    else:
        order = (F("risk_score").desc(), F("review_date").asc(nulls_last=True), "-id")
    tickets = Ticket.objects.select_related("status").only(
        "id", "key", "title", "status", "status__name", "status__is_finished"
    )
    return (
        risks.select_related("owner", "project")
        .prefetch_related(Prefetch("tickets", queryset=tickets.order_by("number")))
        .order_by(*order)
    )


def risk_heatmap(*, project: Project, filters: RiskFilters | None = None) -> dict:
    """The 5 x 5 grid of how many risks (of the filter's statuses) sit at each likelihood
    and impact, in one grouped query: rows from likelihood 5 down to 1, cells from impact
    1 to 5, each {likelihood, impact, score, count, high}."""
    filters = filters or RiskFilters()
    counts = {
        (row["likelihood"], row["impact"]): row["n"]
        for row in _by_status(Risk.objects.filter(project=project), filters)
        .values("likelihood", "impact")
        .annotate(n=Count("id"))
        .order_by()
    }
    rows = [
        {
            "likelihood": likelihood,
            "cells": [
                {
                    "likelihood": likelihood,
                    "impact": impact,
                    "score": likelihood * impact,
                    "count": counts.get((likelihood, impact), 0),
                    "high": likelihood * impact >= HIGH_RISK_SCORE,
                    "band": risk_band(likelihood * impact),
                }
                for impact in RISK_SCALE
            ],
        }
        for likelihood in reversed(RISK_SCALE)
    ]
    return {"rows": rows, "total": sum(counts.values()), "impacts": RISK_SCALE}


def risk_for_page(*, project: Project, risk_id: int) -> Risk | None:
    """One risk of the project with its owner and linked tickets, or None."""
    return risk_list(project=project, filters=RiskFilters(status="all")).filter(pk=risk_id).first()


def ticket_risks(*, ticket: Ticket) -> QuerySet[Risk]:
    """The risks that name this ticket, highest score first, with their owners."""
    return (
        Risk.objects.filter(tickets=ticket)
        .select_related("owner")
        .alias(risk_score=score_expression())
        .order_by(F("risk_score").desc(), "-id")
    )


def open_high_risks(*, project: Project) -> QuerySet[Risk]:
    """The project's high risks still in play (open or mitigating, score >= HIGH_RISK_SCORE),
    highest first: what the health rule "high risks open" counts."""
    return (
        Risk.objects.filter(project=project, status__in=ACTIVE_RISK_STATUSES)
        .alias(risk_score=score_expression())
        .filter(risk_score__gte=HIGH_RISK_SCORE)
        .order_by(F("risk_score").desc(), "-id")
    )

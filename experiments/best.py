"""What "the best value of a metric so far" means, for metric gates and targets alike.

Runs keep the latest value of each metric in `Run.metrics` (JSON; non-finite values as the
strings "NaN", "Infinity", "-Infinity"). Gates compare a ticket's few linked runs in Python
(`improves`); targets ask the database for every run of a project that set a new best, in
one query whatever the number of runs (`record_runs`), then keep the strict improvements in
Python (`improvements`, with the same `improves`)."""

from collections.abc import Iterable

from django.db.models import F, FloatField, Max, Min, QuerySet, TextField, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

NON_FINITE = ("NaN", "Infinity", "-Infinity")


def improves(value: float, best: float | None, *, higher_is_better: bool) -> bool:
    """True when `value` beats `best` (anything beats no best yet)."""
    return best is None or (value > best if higher_is_better else value < best)


def record_runs(runs: QuerySet, *, key: str, higher_is_better: bool) -> QuerySet:
    """The runs whose finite value of `key` equals the best so far at their time (a window
    over the runs in time order), as rows {id, run_id, name, at, value} in that order. `at`
    is when the result was known: the end of the run, else its start, else its first sync.
    The last row holds the best value; ties and NaN/infinities never count."""
    raw = KeyTextTransform(key, "metrics")
    order = [F("at").asc(), F("id").asc()]
    return (
        # Compared as plain text: a JSON key lookup would wrap "NaN" as a JSON value, which
        # SQLite refuses (malformed JSON); the value itself is read from the JSON, unrounded.
        runs.annotate(raw=raw, raw_text=Cast(raw, TextField()))
        .filter(raw__isnull=False)
        .exclude(raw_text__in=NON_FINITE)
        .annotate(
            value=Cast("raw", FloatField()),
            at=Coalesce("end_time", "start_time", "first_synced_at"),
        )
        .annotate(best=Window((Max if higher_is_better else Min)("value"), order_by=order))
        .filter(value=F("best"))
        .order_by(*order)
        .values("id", "run_id", "name", "at", "value")
    )


def improvements(rows: Iterable[dict], *, higher_is_better: bool) -> list[dict]:
    """The rows (in time order) that strictly improved on every row before them."""
    kept, best = [], None
    for row in rows:
        if improves(row["value"], best, higher_is_better=higher_is_better):
            kept.append(row)
            best = row["value"]
    return kept

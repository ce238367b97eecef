"""The runs filter language (`q=` on the runs table, the runs API and a ticket's run search).

    metrics.val_f1 >= 0.9      a metric compared with a number: = != < <= > >=
    params.lr = 0.01           a param equal (or !=) to a text
    tags.team = vision         a tag equal (or !=) to a text
    lr = 0.01                  short for params.lr = 0.01
    val_f1 >= 0.9              short for metrics.val_f1 >= 0.9
    resnet                     plain text: name, run id prefix, experiment name or a key

Keys are taken literally (`params.model.depth = 3`, `params.clf__C = 1`): they never
become ORM lookups. The short forms refuse `__` in a key, the shape of a lookup
(`lr__gt=0.015`), so nobody mistakes it for an operator. Anything the language cannot
express is a ValidationError on `q` (400 in the API, a message in the page).
"""

import math
import re

from django.core.exceptions import ValidationError
from django.db.models import FloatField, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from .models import Run

NAMESPACES = ("metrics", "params", "tags")
NUMERIC_OPERATORS = {"=": "exact", "!=": "exact", ">=": "gte", ">": "gt", "<=": "lte", "<": "lt"}
TEXT_OPERATORS = ("=", "!=")
FILTER = re.compile(
    r"^(?:(?P<namespace>metrics|params|tags)\.)?(?P<key>[^\s<>=!]+)\s*(?P<op>>=|<=|!=|=|>|<)\s*(?P<value>.*)$",
    re.DOTALL,
)
SYNTAX = (
    "Filter runs with metrics.KEY >= NUMBER, params.KEY = TEXT, tags.KEY = TEXT "
    "(operators = != < <= > >= for metrics, = != for params and tags) or plain text."
)


def _refuse(message: str):
    raise ValidationError({"q": [f"{message} {SYNTAX}"]})


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _number(key: str, op: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        _refuse(f"metrics.{key} {op} needs a finite number, not “{value}”.")
    return number


def _metric_filter(key: str, op: str, number: float) -> Q:
    runs = Run.objects.filter(metrics__has_key=key).annotate(
        _metric=Cast(KeyTextTransform(key, "metrics"), FloatField())
    )
    compared = {f"_metric__{NUMERIC_OPERATORS[op]}": number}
    runs = runs.exclude(**compared) if op == "!=" else runs.filter(**compared)
    return Q(pk__in=runs.values("pk"))


def _text_filter(namespace: str, key: str, op: str, value: str) -> Q:
    # JSON containment (`params @> {"key": "value"}`): the key is data, never a lookup.
    equal = Q(**{f"{namespace}__contains": {key: value}})
    if op == "=":
        return equal
    return Q(**{f"{namespace}__has_key": key}) & ~equal


def run_filter(q: str) -> Q:
    """The Q object for one filter expression, or ValidationError on `q`."""
    q = q.strip()
    match = FILTER.match(q)
    if not match:
        return (
            Q(name__icontains=q)
            | Q(run_id__istartswith=q.lower())
            | Q(params__has_key=q)
            | Q(metrics__has_key=q)
            | Q(experiment__name__icontains=q)
        )
    namespace, key, op, raw = match.group("namespace"), match.group("key"), match.group("op"), match.group("value")
    value = _unquote(raw)
    if namespace is None:
        if "__" in key:
            _refuse(
                f"“{key}” is not a key and “__” is not an operator here: write params.{key.split('__')[0]} "
                f"= VALUE or metrics.{key.split('__')[0]} > NUMBER (or params.{key} = VALUE for a key "
                "that contains __)."
            )
        namespace = "params" if op in TEXT_OPERATORS else "metrics"
    if not value:
        _refuse(f"Give a value after “{namespace}.{key} {op}”.")
    if namespace == "metrics":
        return _metric_filter(key, op, _number(key, op, value))
    if op not in TEXT_OPERATORS:
        _refuse(f"{namespace}.{key} is text: compare it with = or !=, not {op}.")
    return _text_filter(namespace, key, op, value)

"""One number format for metric values, used by every page, message and document.

`metric_text(0.977169)` -> "0.9772" (4 significant digits), `metric_full(0.977169)` ->
"0.977169" (the value as logged, for a title attribute). NaN and infinities as words."""

import math

SIGNIFICANT_DIGITS = 4


def _as_float(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(value, value))
        except ValueError:
            return None
    return None


def metric_text(value) -> str:
    """A metric as people read it: 4 significant digits; NaN and infinities as words; "—" for none."""
    if value is None or value == "":
        return "—"
    number = _as_float(value)
    if number is None:
        return str(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 10**SIGNIFICANT_DIGITS:
        return str(int(number))
    return f"{number:.{SIGNIFICANT_DIGITS}g}"


def metric_full(value) -> str:
    """The value as logged (shortest repr that round-trips), for a tooltip."""
    if value is None or value == "":
        return ""
    number = _as_float(value)
    if number is None:
        return str(value)
    if math.isnan(number) or math.isinf(number) or number.is_integer():
        return metric_text(number)
    return repr(number)

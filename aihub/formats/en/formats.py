"""The one date format of AI Hub (FORMAT_MODULE_PATH = ["aihub.formats"]).

Templates never spell a format: they write `|date` (a day), `|date:"DATETIME_FORMAT"` (a
moment), `|date:"MONTH_DAY_FORMAT"` (a day within a range that shows its year at the end),
`|date:"YEAR_MONTH_FORMAT"` (a month),
`|date:"TIME_FORMAT"` or `|date:"c"` (ISO 8601, for `<time datetime>`);
tests/test_date_format.py holds every template to that."""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y H:i"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"

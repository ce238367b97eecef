"""Input every request is checked for once, before any view sees it.

- A NUL character (`\\x00`, `%00`) in the path, a query parameter or a form field: no text
  column in PostgreSQL can hold it, so each filter of each page would otherwise answer
  500. `RejectNulMiddleware` answers 400 instead: field errors for the API, a page with
  the message for the HTML views.
- JSON bodies nested too deep (`[[[[...` 100,000 deep makes `json.loads` raise
  RecursionError): `JSONParser` refuses them with a 400. (NUL inside JSON strings is left
  to the serializers, whose CharFields answer with a field error.)
"""

from django.http import JsonResponse
from django.shortcuts import render
from rest_framework import parsers
from rest_framework.exceptions import ParseError

NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Deeper than any body the API documents (a ticket's custom fields are two levels).
MAX_JSON_DEPTH = 64


def nul_fields(request) -> list[str]:
    """Names of the query parameters and form fields (HTML form bodies) holding a NUL,
    in order; "path" when the URL's path holds one."""
    fields = ["path"] if NUL in request.path else []
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        sources.append(request.POST)  # CsrfViewMiddleware reads it too: no extra parsing
    for data in sources:
        for name, values in data.lists():
            shown = name.replace(NUL, "\\x00")
            if (NUL in name or any(NUL in value for value in values)) and shown not in fields:
                fields.append(shown)
    return fields


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = nul_fields(request)
        if not fields:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({name: [NUL_MESSAGE] for name in fields}, status=400)
        message = f"{NUL_MESSAGE} Remove them from: {', '.join(fields)}."
        retry = "" if "path" in fields else request.path
        return render(request, "bad_request.html", {"message": message, "retry": retry}, status=400)


def _check_depth(data) -> None:
    """Walk parsed JSON without recursion and refuse nesting past MAX_JSON_DEPTH."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested too deep (RecursionError in the decoder,
    or past MAX_JSON_DEPTH) with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        _check_depth(data)
        return data

"""Pieces every API endpoint shares: pagination, the error answers (a service's
ValidationError is a 400, a stale version a 409) and their OpenAPI documentation. The
project-scoped base view every app's API stands on is projects/api/base.py."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$", "example": "09:00"})
class ClockTimeField(serializers.TimeField):
    """A time of day, "HH:MM:SS" out, "HH:MM" or "HH:MM:SS" in. Documented by its pattern: a
    JSON Schema `time` is an RFC 3339 time with a UTC offset, which a clock time is not."""


class Conflict(exceptions.APIException):
    """A write based on a stale `version`: the body is the current object."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, current: dict):
        self.current = current
        super().__init__(detail="stale version")


def validation_error_body(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc, context):
    """DRF's handler, plus the domain's own errors: a service's ValidationError is a 400
    with field errors, a stale version a 409 with the current object."""
    if isinstance(exc, Conflict):
        return Response(exc.current, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


# The contract's error answers, documented on every operation of the OpenAPI schema.
ERROR_RESPONSES = {
    "400": 'Invalid input, or a rule of the domain refused it: `{"field": ["message"]}`.',
    "401": "Missing or bad credentials.",
    "403": "Your role in this project does not allow this (a viewer writing).",
    "404": "Not found, or not yours to see (a non-member never learns that it exists).",
    "429": "Too many requests: slow down and retry.",
}
CONFLICT_RESPONSE = "Stale `version`: someone changed this meanwhile. The body is the current object."


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: add the error answers every endpoint can give."""
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(code, {"description": description})
            if method in {"patch", "put"}:
                responses.setdefault("409", {"description": CONFLICT_RESPONSE})
    return result

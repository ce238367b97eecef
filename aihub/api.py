"""Pieces every API endpoint shares: pagination, errors, the project-scoped base views."""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


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

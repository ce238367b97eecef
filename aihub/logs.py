"""Request ids and structured logs.

`RequestLogMiddleware` gives every request an id (the caller's `X-Request-ID` when it is a
sane token, else a new one), returns it in the response's `X-Request-ID` header, and with
LOG_REQUESTS on logs one line per request. With LOG_FORMAT=json, `JsonFormatter` writes each
log record as one JSON object per line; any record logged while a request is served carries
its request id."""

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("aihub_request_id", default=None)
request_logger = logging.getLogger("aihub.request")

# Attributes a record may carry (via `extra=`) that the JSON line includes when present.
EXTRA_FIELDS = ("user_id", "method", "path", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request being served (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # Django logs 4xx/5xx answers after the middleware returned, with the request attached.
            record.request_id = getattr(getattr(record, "request", None), "request_id", None) or request_id_var.get()
        return True


class OneLineForbiddenFilter(logging.Filter):
    """A refused request (403, `PermissionDenied`) is expected traffic, not an error: Django's
    `django.request` logger would write its whole traceback. Keep one line that names the
    path and the reason instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            reason = str(record.exc_info[1] or "").strip()
            message = record.getMessage()
            record.msg = f"{message} ({reason})" if reason else message
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for field in EXTRA_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # json.dumps escapes newlines, so a traceback stays on its one line.
        return json.dumps(entry, default=str, ensure_ascii=False)


def _user_id(request):
    """The signed-in user's id, without a query of its own: a user nobody looked at during
    the request (a probe, a static file) stays unknown rather than costing a session read."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.log_requests = settings.LOG_REQUESTS

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if self.log_requests:
                status = response.status_code
                request_logger.log(
                    logging.ERROR if status >= 500 else logging.INFO,
                    "%s %s %s",
                    request.method,
                    request.path,
                    status,
                    extra={
                        "user_id": _user_id(request),
                        "method": request.method,
                        "path": request.path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)

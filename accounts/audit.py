"""The audit log: every write the app carried out, one row each, one INSERT after the response.

`AuditMiddleware` records each POST, PUT, PATCH or DELETE that was answered with a 2xx or
3xx and changed a row (the writes that happened; refusals, validation errors and a form
shown again with its errors are not writes). It stores
who (user, API token by id and name), from where (the client address as the throttles see
it, `TRUSTED_PROXIES` honoured), what (method, path, route name, an action derived from
both, the object's type and key from the URL), which project, the status and the request
id of the JSON logs. Never a body, a header, a password or a token.

The project is noted by `projects.access` whenever a request resolves one (`note_project`),
so it costs nothing extra; accounts imports no domain app. A failing INSERT is logged and
never fails the request.
"""

import contextvars
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone

from aihub.throttling import client_ip

from .models import AuditEntry

logger = logging.getLogger("aihub.audit")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_project_var: contextvars.ContextVar[dict | None] = contextvars.ContextVar("aihub_audit_project", default=None)

# Route-name words that name what a POST did; anything else is a create (…-list, …_create)
# or, on a detail route, an update.
_VERBS = {
    "delete": "delete",
    "remove": "delete",
    "purge": "delete",
    "revoke": "delete",
    "move": "move",
    "rank": "move",
    "plan": "plan",
    "start": "start",
    "complete": "complete",
    "advance": "advance",
    "close": "close",
    "restore": "restore",
    "leave": "leave",
    "role": "change_role",
    "redeliver": "redeliver",
    "import": "import",
    "upload": "upload",
    "read": "mark_read",
    "link": "link",
    "unlink": "unlink",
    "test": "test",
}
_CREATE_WORDS = {"list", "create", "new", "add", "comments", "comment", "relations", "subtask", "subtasks"}
_NOISE_WORDS = {"list", "detail", "create", "new", "add", "edit", "quick"}
_SPLIT = re.compile(r"[-_:]")
# URL keyword arguments that name an object, most specific last wins.
_KWARG_TYPES = {
    "ticket_key": "ticket",
    "sprint_id": "sprint",
    "risk_id": "risk",
    "milestone_id": "milestone",
    "criterion_id": "exit_criterion",
    "membership_id": "member",
    "username": "member",
    "view_id": "saved_view",
    "relation_id": "ticket_relation",
    "field_key": "custom_field",
    "doc_id": "doc",
    "slug": "doc",
    "attachment_id": "attachment",
    "template_id": "template",
    "notification_id": "notification",
    "run_id": "run",
    "source_id": "source",
    "hook_id": "webhook",
    "webhook_id": "webhook",
    "delivery_id": "webhook_delivery",
    "token_id": "api_token",
}


def note_project(project_id: int | None, key: str = "") -> None:
    """Called by `projects.access` when a request resolves a project or one of its objects.
    The first project a request resolves is the one its audit entry names."""
    box = _project_var.get()
    if box is not None and box.get("id") is None and project_id is not None:
        box["id"] = project_id
        box["key"] = key or ""


def derive(method: str, route: str, kwargs: dict) -> tuple[str, str, str]:
    """(action, object type, object key) from the method, the route name and URL kwargs."""
    name = route.rsplit(":", 1)[-1]
    words = [w for w in _SPLIT.split(name) if w]
    last = words[-1] if words else ""
    if method == "DELETE":
        action = "delete"
    elif method in ("PUT", "PATCH"):
        action = "update"
    elif last in _VERBS:
        action = _VERBS[last]
    elif any(w in _VERBS for w in words[:-1]) and last not in _CREATE_WORDS:
        action = next(_VERBS[w] for w in words if w in _VERBS)
    elif last in _CREATE_WORDS or not kwargs:
        action = "create"
    else:
        action = "update"
    object_type, object_key = "", ""
    for kwarg, value in kwargs.items():
        if kwarg in _KWARG_TYPES:
            object_type, object_key = _KWARG_TYPES[kwarg], str(value)
    if not object_type and "key" in kwargs:
        object_type, object_key = "project", str(kwargs["key"])
    # A create names what it made (`ticket-list` → ticket), not the parent in the URL.
    typed = [w for w in words if w not in _NOISE_WORDS and w not in _VERBS]
    if action == "create" and typed:
        made = typed[-1].rstrip("s") if typed[-1].endswith("s") and not typed[-1].endswith("ss") else typed[-1]
        if made and made != object_type:
            object_type, object_key = made.replace("-", "_"), ""
    return action, object_type[:60], object_key[:200]


def _created_key(response) -> str:
    """An API create answers with the object: its key, slug or id names it."""
    data = getattr(response, "data", None)
    if isinstance(data, dict):
        for field in ("key", "slug", "id", "username"):
            value = data.get(field)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)[:200]
    return ""


def _redirect_key(response, object_type: str) -> str:
    """A page's create redirects to what it made (`/projects/CV/tickets/CV-12/`)."""
    location = response.get("HX-Location") or response.get("HX-Redirect") or response.get("Location") or ""
    if not location:
        return ""
    if location.startswith("{"):
        return ""
    try:
        match = resolve(urlsplit(location).path)
    except Resolver404:
        return ""
    _, target_type, target_key = derive("GET", match.view_name or "", dict(match.kwargs))
    return target_key if target_type == object_type else ""


class _WriteSpy:
    """Execute wrapper: notes whether the request ran an INSERT, UPDATE or DELETE other than
    the bookkeeping every request may do (its session, a token's last use)."""

    _BOOKKEEPING = ('"django_session"', 'UPDATE "accounts_apitoken" SET "last_used_at"')

    def __init__(self):
        self.wrote = False

    def __call__(self, execute, sql, params, many, context):
        if not self.wrote:
            head = sql.lstrip()[:80].upper()
            if head.startswith(("INSERT", "UPDATE", "DELETE")) and not any(
                b.upper() in head for b in self._BOOKKEEPING
            ):
                self.wrote = True
        return execute(sql, params, many, context)


class AuditMiddleware:
    """Records each write the app carried out; see the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in WRITE_METHODS:
            return self.get_response(request)
        box: dict = {"id": None, "key": ""}
        writes = _WriteSpy()
        token = _project_var.set(box)
        try:
            with connection.execute_wrapper(writes):
                response = self.get_response(request)
        finally:
            _project_var.reset(token)
        # A page answers a form with errors with a 200 too: only a request that changed a
        # row (not just its session or a token's last use) counts as a write.
        if 200 <= response.status_code < 400 and writes.wrote:
            self.record(request, response, box)
        return response

    def record(self, request, response, box: dict) -> None:
        try:
            entry = self.build(request, response, box)
            if transaction.get_connection().in_atomic_block:
                # A caller (a test) holds a transaction open: a savepoint keeps a failed
                # INSERT from poisoning it. Served normally, this is one autocommit INSERT.
                with transaction.atomic():
                    entry.save(force_insert=True)
            else:
                entry.save(force_insert=True)
        except (DatabaseError, ValueError, TypeError, AttributeError) as error:
            logger.error("audit entry not recorded: %s %s: %s", request.method, request.path, error)

    @staticmethod
    def build(request, response, box: dict) -> AuditEntry:
        match = getattr(request, "resolver_match", None)
        route = (match.view_name if match else "") or ""
        kwargs = dict(match.kwargs) if match else {}
        action, object_type, object_key = derive(request.method, route, kwargs)
        if action == "create" and not object_key:
            object_key = _created_key(response) or _redirect_key(response, object_type)
        user = getattr(request, "user", None)
        user = user if getattr(user, "is_authenticated", False) else None
        api_token = getattr(request, "auth", None)
        api_token = api_token if getattr(api_token, "token_hash", None) else None
        project_key = box.get("key") or str(kwargs.get("key") or "")
        if not project_key and "ticket_key" in kwargs:
            project_key = str(kwargs["ticket_key"]).rsplit("-", 1)[0]
        ip = client_ip(request)
        return AuditEntry(
            user=user,
            username=(user.get_username() if user else "")[:150],
            token=api_token,
            token_name=(api_token.name if api_token else "")[:100],
            ip_address=ip if ip and ip != "unknown" else None,
            method=request.method,
            path=request.path[:500],
            route=route[:120],
            action=action,
            object_type=object_type,
            object_key=object_key,
            project_id=box.get("id"),
            project_key=project_key[:10],
            status_code=response.status_code,
            request_id=(getattr(request, "request_id", "") or "")[:64],
            via_api=request.path.startswith("/api/"),
        )


def audit_prune(*, now=None, batch_size: int = 5000, max_batches: int = 1000) -> int:
    """Delete entries older than `AIHUB_AUDIT_RETENTION_DAYS`, in batches of `batch_size`
    rows (short transactions, no long lock), at most `max_batches` per run; the next beat
    run picks up the rest. Returns how many rows went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AIHUB_AUDIT_RETENTION_DAYS)
    removed = 0
    for _ in range(max_batches):
        ids = list(
            AuditEntry.objects.filter(created_at__lt=cutoff).order_by("id").values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        removed += AuditEntry.objects.filter(id__in=ids).delete()[0]
        if len(ids) < batch_size:
            break
    return removed


# --- Reading -----------------------------------------------------------------------------

AUDIT_FILTERS = ("user", "action", "object_type", "since", "until")


def audit_filters_from(params) -> tuple[dict, dict]:
    """The filters a page or API call asked for, and the errors (field: message) of those
    it could not read. Dates are YYYY-MM-DD, both ends inclusive."""
    from datetime import date

    filters: dict = {}
    errors: dict = {}
    for name in ("user", "action", "object_type"):
        value = (params.get(name) or "").strip()
        if value:
            filters[name] = value[:150]
    for name in ("since", "until"):
        value = (params.get(name) or "").strip()
        if value:
            try:
                filters[name] = date.fromisoformat(value)
            except ValueError:
                errors[name] = "Enter a date as YYYY-MM-DD."
    return filters, errors


def audit_entries(*, project_id: int, filters: dict):
    """A project's entries, newest first, filtered; one query however many rows
    (the user's name is kept on the row: no join)."""
    from datetime import datetime, time

    queryset = AuditEntry.objects.filter(project_id=project_id)
    if "user" in filters:
        queryset = queryset.filter(username=filters["user"])
    if "action" in filters:
        queryset = queryset.filter(action=filters["action"])
    if "object_type" in filters:
        queryset = queryset.filter(object_type=filters["object_type"])
    tz = timezone.get_current_timezone()
    if "since" in filters:
        queryset = queryset.filter(created_at__gte=datetime.combine(filters["since"], time.min, tzinfo=tz))
    if "until" in filters:
        queryset = queryset.filter(
            created_at__lt=datetime.combine(filters["until"] + timedelta(days=1), time.min, tzinfo=tz)
        )
    return queryset.order_by("-created_at", "-id")


def audit_choices(*, project_id: int) -> dict:
    """The users, actions and object types seen in a project's log, for the filter menus
    (one query)."""
    rows = AuditEntry.objects.filter(project_id=project_id).values_list("username", "action", "object_type").distinct()
    users, actions, types = set(), set(), set()
    for username, action, object_type in rows[:2000]:
        users.add(username)
        actions.add(action)
        types.add(object_type)
    return {
        "users": sorted(u for u in users if u),
        "actions": sorted(a for a in actions if a),
        "object_types": sorted(t for t in types if t),
    }

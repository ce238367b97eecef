"""Outbound webhooks: subscriptions, emission after commit, delivery with retries.

Emission: `connect()` (IntegrationsConfig.ready) registers a change listener with
projects.hooks (called by projects.live.announce inside every write's transaction) and
post_save receivers for what is not announced by itself (doc revisions, run link notes,
failed MLflow syncs). Each defers to transaction.on_commit: once the write commits (a
rolled-back write sends nothing), if the project has a hook for the event (a cached list:
no SQL when it has none), the payload (the object as the API shows it, as committed) is
built, a Delivery row written per hook and the send queued. A write's own transaction
never runs a webhook query.

Delivery: `delivery_attempt(delivery_id)` claims the next attempt (a conditional UPDATE, so
two workers never send the same attempt), POSTs through aihub.outbound (the guard against
internal addresses, checked again after DNS resolution; no redirects; short timeout),
records the attempt, and on failure schedules the next one after
AIHUB_WEBHOOK_BACKOFF_BASE * 2**(attempt-1) seconds, up to 5 attempts."""

import contextlib
import json
import logging
import secrets as secrets_module
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from aihub import outbound
from aihub.celery import app
from aihub.queueing import enqueue_or_run_here

from . import signing
from .models import EVENTS, MAX_ATTEMPTS, TEST_EVENT, Delivery, DeliveryAttempt, Webhook

logger = logging.getLogger(__name__)

ANNOUNCED_EVENTS = {
    "ticket.created": "ticket.created",
    "ticket.updated": "ticket.updated",
    "ticket.moved": "ticket.moved",
    "ticket.deleted": "ticket.deleted",
    "comment.created": "comment.added",
    "sprint.started": "sprint.started",
    "sprint.completed": "sprint.completed",
    "gate.passed": "gate.passed",
    "gate.failed": "gate.failed",
}
CACHE_TIMEOUT = 300
DELIVER_TASK = "integrations.tasks.deliver_webhook"  # by name: the tasks module imports this one


# -- subscriptions ----------------------------------------------------------------------


def _cache_key(project_id: int) -> str:
    return f"webhooks:project:{project_id}"


def _forget(project_id: int) -> None:
    try:
        cache.delete(_cache_key(project_id))
    except Exception:  # the cache is an optimisation; a stale entry costs one query
        logger.warning("webhooks: could not clear the cached hook list of project %s", project_id)


def _clean_events(events) -> list[str]:
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": ['A list of event names, or ["*"] for all of them.']})
    unknown = [event for event in events if event != "*" and event not in EVENTS]
    if unknown:
        raise ValidationError(
            {"events": [f"Unknown event: {', '.join(map(str, unknown))}. Known: {', '.join(EVENTS)}."]}
        )
    return ["*"] if "*" in events else sorted(set(events), key=EVENTS.index)


def _clean_url(url: str) -> str:
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as error:
        raise ValidationError({"url": [str(error)]}) from error
    return url.strip()


def webhook_create(*, project, user, url: str, events, secret: str | None = None, active: bool = True) -> Webhook:
    """A new hook; the URL is checked (a refused target is a ValidationError on `url` saying
    why). A secret is generated when none is given."""
    hook = Webhook.objects.create(
        project=project,
        url=_clean_url(url),
        events=_clean_events(events),
        secret=secret or secrets_module.token_hex(32),
        active=active,
        created_by=user,
    )
    transaction.on_commit(lambda: _forget(project.pk))
    return hook


def webhook_update(*, webhook: Webhook, **changes) -> Webhook:
    if "url" in changes:
        webhook.url = _clean_url(changes["url"])
    if "events" in changes:
        webhook.events = _clean_events(changes["events"])
    if changes.get("secret"):
        webhook.secret = changes["secret"]
    if "active" in changes:
        webhook.active = bool(changes["active"])
    webhook.save()
    project_id = webhook.project_id
    transaction.on_commit(lambda: _forget(project_id))
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    project_id = webhook.project_id
    webhook.delete()
    transaction.on_commit(lambda: _forget(project_id))


# -- emission ---------------------------------------------------------------------------


def _subscriptions(project_id: int) -> list[list]:
    """[[hook id, events], ...] of the project's active hooks, cached (no SQL per write
    when a project has no hooks)."""
    key = _cache_key(project_id)
    try:
        cached = cache.get(key)
    except Exception:  # cache down: ask the database
        cached = None
    if cached is None:
        cached = [
            [pk, events]
            for pk, events in Webhook.objects.filter(project_id=project_id, active=True).values_list("id", "events")
        ]
        with contextlib.suppress(Exception):
            cache.set(key, cached, CACHE_TIMEOUT)
    return cached


def _wanted(project_id: int, event: str) -> bool:
    return any("*" in events or event in events for _pk, events in _subscriptions(project_id))


def _body(*, event_id: uuid.UUID, event: str, project_key: str, data) -> str:
    payload = {
        "id": str(event_id),
        "event": event,
        "created_at": timezone.now().isoformat(),
        "project": project_key,
        "data": data,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))


def _queue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        enqueue_or_run_here(app.tasks[DELIVER_TASK], delivery_id)


def emit_after_commit(*, project_id: int, event: str, data_builder) -> None:
    transaction.on_commit(lambda: emit(project_id=project_id, event=event, data_builder=data_builder))


def emit(*, project_id: int, event: str, data_builder) -> list[Delivery]:
    """One Delivery per hook that wants the event, and its send queued. `data_builder()`
    gives the object as the API shows it (None: nothing to send, the object is gone)."""
    if not _wanted(project_id, event):
        return []
    hooks = [
        hook for hook in Webhook.objects.filter(project_id=project_id).select_related("project") if hook.wants(event)
    ]
    if not hooks:
        return []
    data = data_builder()
    if data is None:
        return []
    event_id = uuid.uuid4()
    body = _body(event_id=event_id, event=event, project_key=hooks[0].project.key, data=data)
    deliveries = Delivery.objects.bulk_create(
        [Delivery(webhook=hook, event_id=event_id, event=event, body=body) for hook in hooks]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _queue(ids))
    return deliveries


def _ticket_data(project_id: int, ticket_key: str):
    from projects.api.serializers.tickets import ticket_json
    from projects.models import Ticket

    ticket = (
        Ticket.objects.select_related("project", "status", "assignee", "reporter", "parent")
        .prefetch_related("labels")
        .filter(project_id=project_id, key=ticket_key)
        .first()
    )
    return None if ticket is None else dict(ticket_json(ticket, request=None))


def _comment_data(project_id: int, ticket_key: str):
    from projects.api.serializers.tickets import CommentSerializer
    from projects.models import Comment

    comment = (
        Comment.objects.select_related("author")
        .filter(ticket__project_id=project_id, ticket__key=ticket_key)
        .order_by("-id")
        .first()
    )
    return None if comment is None else {"ticket": ticket_key, **CommentSerializer(comment).data}


def _sprint_data(project_id: int, state: str, order: str):
    from projects.api.serializers.sprints import SprintSerializer
    from projects.models import Sprint

    sprint = Sprint.objects.select_related("project").filter(project_id=project_id, state=state).order_by(order).first()
    return None if sprint is None else dict(SprintSerializer(sprint).data)


def _gate_data(project_id: int, ticket_key: str):
    """The ticket as the API shows it, with every gate of it and its status now."""
    from experiments.selectors.gates import gate_statuses_for_tickets
    from projects.models import Ticket

    ticket_id = Ticket.objects.filter(project_id=project_id, key=ticket_key).values_list("pk", flat=True).first()
    if ticket_id is None:
        return None
    return {"ticket": _ticket_data(project_id, ticket_key), "gates": gate_statuses_for_tickets([ticket_id])[ticket_id]}


def _announced_data(project_id: int, kind: str, ticket_key: str | None):
    if kind.startswith("gate."):
        return _gate_data(project_id, ticket_key) if ticket_key else None
    if kind == "ticket.deleted":
        return {"key": ticket_key}
    if kind.startswith("ticket."):
        return _ticket_data(project_id, ticket_key) if ticket_key else None
    if kind == "comment.created":
        return _comment_data(project_id, ticket_key) if ticket_key else None
    if kind == "sprint.started":
        return _sprint_data(project_id, "active", "-started_at")
    if kind == "sprint.completed":
        return _sprint_data(project_id, "completed", "-completed_at")
    return None


def on_change(*, project_id: int, kind: str, ticket_key: str | None = None, **_ignored) -> None:
    """projects.hooks change listener (called inside the write's transaction)."""
    event = ANNOUNCED_EVENTS.get(kind)
    if event is not None:
        emit_after_commit(
            project_id=project_id, event=event, data_builder=lambda: _announced_data(project_id, kind, ticket_key)
        )


def _on_doc_revision(sender, instance, created, raw=False, **kwargs) -> None:
    if raw or not created:
        return
    doc_id, event = instance.doc_id, "doc.created" if instance.version == 1 else "doc.updated"

    def send():
        from docs_hub.api.serializers import DocSerializer
        from docs_hub.models import Doc

        doc = Doc.objects.select_related("project", "parent", "updated_by").filter(pk=doc_id).first()
        if doc is not None:
            emit(project_id=doc.project_id, event=event, data_builder=lambda: dict(DocSerializer(doc).data))

    transaction.on_commit(send)


def _on_ticket_event(sender, instance, created, raw=False, **kwargs) -> None:
    if raw or not created or not isinstance(instance.data, dict):
        return
    action = instance.data.get("action")
    if action not in ("run_linked", "run_unlinked"):
        return
    ticket_id, data = instance.ticket_id, {"run_id": instance.data.get("run_id"), "name": instance.data.get("name")}
    event = "run.linked" if action == "run_linked" else "run.unlinked"

    def send():
        from projects.models import Ticket

        ticket = Ticket.objects.filter(pk=ticket_id).values("project_id", "key").first()
        if ticket is not None:
            emit(project_id=ticket["project_id"], event=event, data_builder=lambda: {"ticket": ticket["key"], **data})

    transaction.on_commit(send)


def _on_sync_record(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.status != "error" or (update_fields is not None and "status" not in update_fields):
        return
    record_id = instance.pk

    def send():
        from experiments.api.serializers import SyncRecordSerializer
        from experiments.models import SyncRecord

        record = SyncRecord.objects.select_related("source").filter(pk=record_id).first()
        if record is not None:
            source = record.source
            emit(
                project_id=source.project_id,
                event="sync.failed",
                data_builder=lambda: {
                    "source": source.pk,
                    "source_name": source.name,
                    **SyncRecordSerializer(record).data,
                },
            )

    transaction.on_commit(send)


def connect() -> None:
    from docs_hub.models import DocRevision
    from experiments.models import SyncRecord
    from projects import hooks
    from projects.models import TicketEvent

    hooks.register_change_listener(on_change)
    post_save.connect(_on_doc_revision, sender=DocRevision, dispatch_uid="webhooks-doc-revision")
    post_save.connect(_on_ticket_event, sender=TicketEvent, dispatch_uid="webhooks-ticket-event")
    post_save.connect(_on_sync_record, sender=SyncRecord, dispatch_uid="webhooks-sync-record")


# -- delivery ---------------------------------------------------------------------------


def backoff_seconds(attempt: int) -> float:
    """The wait after failed attempt `attempt` (1-based): base, 2 base, 4 base, 8 base."""
    return float(getattr(settings, "AIHUB_WEBHOOK_BACKOFF_BASE", 30)) * 2 ** (attempt - 1)


def signed_headers(webhook: Webhook, delivery: Delivery, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "AIHub-Webhooks/1",
        "X-AIHub-Event": delivery.event,
        "X-AIHub-Delivery": str(delivery.pk),
        "X-AIHub-Timestamp": str(timestamp),
        "X-AIHub-Signature": signing.signature(webhook.secret, timestamp, delivery.body),
    }


def delivery_attempt(delivery_id: int) -> float | None:
    """Send the delivery's next attempt. Returns the seconds to wait before the next one
    (None: no further attempt: delivered, given up, or another worker has it)."""
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (Delivery.Status.OK, Delivery.Status.FAILED):
        return None
    number = delivery.attempts + 1
    claimed = Delivery.objects.filter(
        pk=delivery.pk, attempts=delivery.attempts, status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING]
    ).update(attempts=number)
    if not claimed:  # another worker sent this attempt already
        return None
    webhook = delivery.webhook
    timestamp = int(time.time())
    status_code, error, final = None, "", False
    started = time.monotonic()
    try:
        response = outbound.request(
            "POST",
            webhook.url,
            data=delivery.body.encode(),
            headers=signed_headers(webhook, delivery, timestamp),
            timeout=(
                float(getattr(settings, "AIHUB_WEBHOOK_CONNECT_TIMEOUT", 3)),
                float(getattr(settings, "AIHUB_WEBHOOK_READ_TIMEOUT", 5)),
            ),
            max_response_bytes=64 * 1024,
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except outbound.OutboundRefused as refused:
        error, final = f"refused: {refused}", True  # resolving again will not make it public
    except outbound.OutboundFailed as failed:
        status_code, error = failed.status, str(failed)
        final = failed.kind == "redirect"
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = not error
    retry_in = None if ok or final or number >= MAX_ATTEMPTS else backoff_seconds(number)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=number,
        timestamp=timestamp,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        retry_in_seconds=retry_in,
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.OK
        if ok
        else (Delivery.Status.RETRYING if retry_in is not None else Delivery.Status.FAILED),
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in) if retry_in is not None else None,
    )
    return retry_in


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """The same event (same id and body) sent again as a new delivery, with a fresh log."""
    again = Delivery.objects.create(
        webhook=delivery.webhook,
        event_id=delivery.event_id,
        event=delivery.event,
        body=delivery.body,
        redelivery_of=delivery,
    )
    transaction.on_commit(lambda: _queue([again.pk]))
    return again


def webhook_send_test(*, webhook: Webhook, user) -> Delivery:
    event_id = uuid.uuid4()
    data = {
        "webhook": webhook.pk,
        "message": "A test event from AI Hub: this hook is reachable and its signature can be verified.",
        "sent_by": getattr(user, "username", None),
    }
    delivery = Delivery.objects.create(
        webhook=webhook,
        event_id=event_id,
        event=TEST_EVENT,
        body=_body(event_id=event_id, event=TEST_EVENT, project_key=webhook.project.key, data=data),
    )
    transaction.on_commit(lambda: _queue([delivery.pk]))
    return delivery

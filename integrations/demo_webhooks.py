"""Demo: the CV project has one webhook (a chat bridge at example.com) with a delivery log
that shows a delivered event, a retried one and a test event. Left alone once CV has a hook.
The hook is paused: the demo has no network, so live events would only fail."""

import json
import uuid
from datetime import timedelta

from django.utils import timezone

from projects.models import Project

from .models import Delivery, DeliveryAttempt, Webhook


def seed_webhooks_demo(demo_user) -> None:
    project = Project.objects.filter(key="CV").first()
    if project is None or Webhook.objects.filter(project=project).exists():
        return
    hook = Webhook.objects.create(
        project=project,
        url="https://hooks.example.com/aihub/cv",
        events=["ticket.created", "ticket.moved", "comment.added", "sprint.started", "sprint.completed"],
        secret=uuid.uuid4().hex + uuid.uuid4().hex,
        active=False,
        created_by=demo_user,
    )
    ticket = project.tickets.order_by("id").first()
    now = timezone.now()
    samples = [
        ("ticket.moved", [(503, 30.0), (200, None)]),
        ("comment.added", [(200, None)]),
        ("webhook.test", [(200, None)]),
    ]
    for minutes_ago, (event, attempts) in zip((90, 45, 5), samples, strict=True):
        event_id = uuid.uuid4()
        data = (
            {"key": ticket.key, "title": ticket.title} if ticket and event != "webhook.test" else {"webhook": hook.pk}
        )
        body = json.dumps(
            {
                "id": str(event_id),
                "event": event,
                "created_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
                "project": project.key,
                "data": data,
            },
            separators=(",", ":"),
        )
        delivery = Delivery.objects.create(
            webhook=hook,
            event_id=event_id,
            event=event,
            body=body,
            status=Delivery.Status.OK,
            attempts=len(attempts),
            status_code=200,
            duration_ms=84,
        )
        Delivery.objects.filter(pk=delivery.pk).update(created_at=now - timedelta(minutes=minutes_ago))
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery=delivery,
                number=number,
                timestamp=int((now - timedelta(minutes=minutes_ago)).timestamp()),
                status_code=code,
                error="" if code == 200 else f"HTTP {code}",
                duration_ms=84 if code == 200 else 1210,
                retry_in_seconds=retry,
            )
            for number, (code, retry) in enumerate(attempts, start=1)
        )

"""Demo data for health and the forecast (issue 13, items 2 and 4): the planning demo links
"is blocked by" between two open tickets of the active sprint today; here that block is
made a week old, so the CV and CHURN dashboards show the rule "blocked for more than 3
days" beside the others that fire (the open high risk, the burndown). The forecast reads
the planning demo's finished tickets (spread over the last 40 days), which is history
enough. Idempotent: a block already older than a day is left alone."""

import datetime

from django.db import transaction
from django.utils import timezone

from .models import RelationKind, TicketRelation

DEMO_BLOCKED_DAYS = 6


@transaction.atomic
def seed_health_demo(demo_user) -> None:
    now = timezone.now()
    TicketRelation.objects.filter(
        kind=RelationKind.BLOCKS,
        target__project__key__in=("CV", "CHURN"),
        created_at__gt=now - datetime.timedelta(days=1),
    ).update(created_at=now - datetime.timedelta(days=DEMO_BLOCKED_DAYS))

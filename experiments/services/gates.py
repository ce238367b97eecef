"""Metric gates: acceptance criteria a ticket's linked runs must meet before it is done."""

import math
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects import live
from projects.models import Ticket, TicketEvent
from projects.services import ticket_event_record

from ..models import MetricGate
from ..numbers import metric_text
from ..selectors.gates import gate_statuses_for_tickets

GATE_PATTERN = re.compile(r"^\s*([^\s<>=]+)\s*(>=|<=|>|<)\s*([-+]?[0-9.eE+-]+)\s*$")


def gate_parse(text: str) -> dict:
    """`val_f1 >= 0.90` -> {"metric": "val_f1", "op": ">=", "threshold": 0.9}."""
    match = GATE_PATTERN.match(text or "")
    if not match:
        raise ValidationError({"gate": ["Write a gate as METRIC OP NUMBER, e.g. val_f1 >= 0.90."]})
    try:
        threshold = float(match.group(3))
    except ValueError:
        raise ValidationError({"threshold": ["Not a number."]}) from None
    return {"metric": match.group(1), "op": match.group(2), "threshold": threshold}


@transaction.atomic
def gate_create(*, ticket: Ticket, user, metric: str, op: str, threshold: float) -> MetricGate:
    if threshold is None or not math.isfinite(float(threshold)):
        raise ValidationError({"threshold": ["Give a finite number."]})
    gate = MetricGate(ticket=ticket, metric=(metric or "").strip(), op=op, threshold=float(threshold), created_by=user)
    gate.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            gate.save()
    except IntegrityError:
        raise ValidationError(
            {"metric": [f"This ticket already has a gate {gate.metric} {op} …; delete it first."]}
        ) from None
    ticket_event_record(
        ticket=ticket,
        actor=user,
        kind=TicketEvent.Kind.NOTE,
        field="gates",
        new_value=str(gate),
        data={"action": "gate_added", "metric": gate.metric, "op": op, "threshold": gate.threshold},
    )
    live.announce(project_id=ticket.project_id, kind="ticket.gates", ticket_key=ticket.key)
    gates_recheck(ticket_ids=[ticket.pk])
    return gate


@transaction.atomic
def gate_delete(*, gate: MetricGate, user) -> None:
    ticket_event_record(
        ticket=gate.ticket,
        actor=user,
        kind=TicketEvent.Kind.NOTE,
        field="gates",
        old_value=str(gate),
        data={"action": "gate_removed"},
    )
    live.announce(project_id=gate.ticket.project_id, kind="ticket.gates", ticket_key=gate.ticket.key)
    gate.delete()


def ticket_finish_guard(ticket: Ticket, user) -> list[str]:
    """Registered in projects.hooks: failing or pending gates keep a ticket from finishing."""
    reasons = []
    for status in gate_statuses_for_tickets([ticket.pk]).get(ticket.pk, []):
        if status["status"] != "pass":
            best = (
                ""
                if status["best_value"] is None
                else f" (best {metric_text(status['best_value'])} in {status['best_run_name']})"
            )
            verdict = {"fail": "failed", "pending": "is pending"}.get(status["status"], f"is {status['status']}")
            if status["best_value"] is None:
                best = f": no finished linked run has {status['metric']} yet"
            reasons.append(f"Metric gate {status['gate']} {verdict}{best}.")
    return reasons


GATE_EVENTS = {"pass": "gate.passed", "fail": "gate.failed"}


def gates_recheck(*, ticket_ids) -> list[tuple[int, str]]:
    """Evaluate the gates of these tickets and store each status; a gate that turned pass
    or fail is announced once ("gate.passed", "gate.failed": webhooks deliver them). Call
    inside the write that changed the evidence (a link, an unlink, a sync). Three queries
    whatever the number of gates, plus one update per changed gate."""
    statuses = gate_statuses_for_tickets(ticket_ids)
    if not statuses:
        return []
    now = {status["id"]: status["status"] for gate_statuses in statuses.values() for status in gate_statuses}
    changed = []
    for gate in MetricGate.objects.filter(pk__in=now).values("pk", "last_status", "ticket__key", "ticket__project_id"):
        status = now[gate["pk"]]
        if status == gate["last_status"]:
            continue
        MetricGate.objects.filter(pk=gate["pk"]).update(last_status=status)
        changed.append((gate["pk"], status))
        if status in GATE_EVENTS:
            live.announce(
                project_id=gate["ticket__project_id"], kind=GATE_EVENTS[status], ticket_key=gate["ticket__key"]
            )
    return changed


@transaction.atomic
def gates_recheck_project(*, project_id: int) -> list[tuple[int, str]]:
    """Every gate of a project, after a sync changed its runs."""
    ticket_ids = set(MetricGate.objects.filter(ticket__project_id=project_id).values_list("ticket_id", flat=True))
    return gates_recheck(ticket_ids=ticket_ids) if ticket_ids else []


def after_sync_import(*, source, changed_since) -> None:
    """What a sync does once its runs are written: the regression sentinel, then the gates
    (a run tagged for a ticket, or new metrics, may have made one pass or fail)."""
    from .sentinel import sentinel_check

    sentinel_check(source=source, changed_since=changed_since)
    gates_recheck_project(project_id=source.project_id)

"""Reads of metric gates: each gate's status from the ticket's linked runs."""

import math
from collections import defaultdict

from ..best import improves
from ..models import MetricGate, RunLink, RunStatus, metric_from_json


def _linked_runs_by_ticket(ticket_ids) -> dict[int, list[dict]]:
    by_ticket = defaultdict(list)
    for row in RunLink.objects.filter(ticket_id__in=list(ticket_ids), active=True, run__deleted=False).values(
        "ticket_id", "run__run_id", "run__name", "run__status", "run__metrics"
    ):
        by_ticket[row["ticket_id"]].append(row)
    return by_ticket


def evaluate_gate(gate: MetricGate, runs: list[dict]) -> dict:
    """pass: a finished run meets the gate; pending: no finished run has the metric yet, or
    one still running might; fail: finished runs have it and none meets it."""
    best = None
    finished_seen = running = False
    for row in runs:
        raw = (row["run__metrics"] or {}).get(gate.metric)
        if raw is None:
            if row["run__status"] in (RunStatus.RUNNING, RunStatus.SCHEDULED):
                running = True
            continue
        value = metric_from_json(raw)
        if math.isnan(value):
            continue
        if row["run__status"] in (RunStatus.RUNNING, RunStatus.SCHEDULED):
            running = True
            continue
        if row["run__status"] != RunStatus.FINISHED:
            continue
        finished_seen = True
        if improves(value, best[0] if best else None, higher_is_better=gate.higher_is_better):
            best = (value, row["run__run_id"], row["run__name"])
    if best and gate.passes(best[0]):
        status = "pass"
    elif running or not finished_seen:
        status = "pending"
    else:
        status = "fail"
    return {
        "id": gate.pk,
        "gate": str(gate),
        "metric": gate.metric,
        "op": gate.op,
        "threshold": gate.threshold,
        "status": status,
        "best_value": best[0] if best else None,
        "best_run": best[1] if best else None,
        "best_run_name": best[2] if best else None,
    }


def gate_statuses_for_tickets(ticket_ids) -> dict[int, list[dict]]:
    """Every gate of these tickets with its status, in two queries."""
    ticket_ids = list(ticket_ids)
    gates = defaultdict(list)
    for gate in MetricGate.objects.filter(ticket_id__in=ticket_ids).order_by("pk"):
        gates[gate.ticket_id].append(gate)
    if not gates:
        return {}
    runs = _linked_runs_by_ticket(gates.keys())
    return {
        ticket_id: [evaluate_gate(gate, runs.get(ticket_id, [])) for gate in ticket_gates]
        for ticket_id, ticket_gates in gates.items()
    }

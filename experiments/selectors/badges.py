"""Board-card badges of runs, gates and regressions."""

from collections import defaultdict

from django.db.models import Exists, OuterRef, Q

from ..models import MetricGate, RegressionFlag, RunLink
from .gates import evaluate_gate


def ticket_badges(*, project_id: int, sprint_id: int | None = None) -> dict[int, list[dict]]:
    """Board-card badges of a board's tickets (the project's, in `sprint_id` unless None):
    linked run count, gate status, regressions. Two queries in all, each joined to the
    tickets by project and sprint, never given a list of ticket ids: their cost follows the
    gates and links found, not the number of cards (gates; linked runs with a regression flag)."""
    on_board = Q(ticket__project_id=project_id)
    if sprint_id is not None:
        on_board &= Q(ticket__sprint_id=sprint_id)
    gates = defaultdict(list)
    for gate in MetricGate.objects.filter(on_board).order_by("pk"):
        gates[gate.ticket_id].append(gate)
    fields = ["ticket_id", "run__run_id", "run__name", "run__status", "regressed"]
    if gates:
        fields.append("run__metrics")  # only read when some gate needs the values
    links = defaultdict(list)
    for row in (
        RunLink.objects.filter(on_board, active=True, run__deleted=False)
        .annotate(regressed=Exists(RegressionFlag.objects.filter(run=OuterRef("run"))))
        .values(*fields)
    ):
        links[row["ticket_id"]].append(row)
    badges: dict[int, list[dict]] = {}
    for ticket_id in sorted(gates.keys() | links.keys()):
        items = []
        rows = links.get(ticket_id, [])
        if rows:
            n = len(rows)
            items.append(
                {"label": f"{n} run{'s' if n != 1 else ''}", "title": f"{n} linked MLflow runs", "state": "ok"}
            )
        if gates.get(ticket_id):
            statuses = [evaluate_gate(gate, rows) for gate in gates[ticket_id]]
            states = {g["status"] for g in statuses}
            state = "fail" if "fail" in states else "pending" if "pending" in states else "ok"
            passed = sum(1 for g in statuses if g["status"] == "pass")
            items.append(
                {
                    "label": f"gates {passed}/{len(statuses)}",
                    "title": "; ".join(f"{g['gate']}: {g['status']}" for g in statuses),
                    "state": state,
                }
            )
        if any(row["regressed"] for row in rows):
            items.append({"label": "regression", "title": "A linked run fell below the champion", "state": "fail"})
        if items:
            badges[ticket_id] = items
    return badges

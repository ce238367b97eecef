"""What the portfolio shows of experiments, for many projects at once: each project's
primary target and its best value so far (`projects.hooks.register_portfolio_provider`).
Two queries whatever the number of projects and runs: the primary targets, then one
UNION ALL of one aggregate per target (the best finite value of its metric among the
project's finished runs, as on the Targets page)."""

from django.db.models import FloatField, IntegerField, Max, Min, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from ..best import NON_FINITE
from ..models import Run, RunStatus, Target


def _best_query(target: Target):
    raw = KeyTextTransform(target.metric, "metrics")
    return (
        Run.objects.filter(project_id=target.project_id, status=RunStatus.FINISHED, deleted=False)
        .annotate(raw=raw, raw_text=Cast(raw, TextField()))
        .filter(raw__isnull=False)
        .exclude(raw_text__in=NON_FINITE)
        .annotate(value=Cast("raw", FloatField()))
        .order_by()
        .values("project_id")
        .annotate(best=(Max if target.higher_is_better else Min)("value"))
        .annotate(target_id=Value(target.pk, output_field=IntegerField()))
        .values("target_id", "best")
    )


def primary_targets_best(project_ids) -> dict[int, dict]:
    """{project_id: {"primary_target": {"metric", "direction", "target", "best_value",
    "met", "gap"}}} for the projects that have a primary target."""
    targets = list(Target.objects.filter(project_id__in=list(project_ids), primary=True).order_by("id"))
    if not targets:
        return {}
    parts = [_best_query(target) for target in targets]
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    best = {row["target_id"]: row["best"] for row in combined}
    out = {}
    for target in targets:
        value = best.get(target.pk)
        gap = None
        if value is not None:
            gap = target.target - value if target.higher_is_better else value - target.target
            gap = float(f"{gap:.12g}")
        out[target.project_id] = {
            "primary_target": {
                "metric": target.metric,
                "direction": target.direction,
                "op": target.gate_op,
                "target": target.target,
                "best_value": value,
                "gap": gap,
                "met": gap is not None and gap <= 0,
            }
        }
    return out

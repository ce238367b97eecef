"""Experiments' part of a project template (`projects.hooks.register_template_part`): the
targets. Applying creates each target definition (metric, direction, value, baseline,
primary) through the service; capturing keeps the definitions, never the runs, best values
or gates."""

from .models import Target
from .services import target_create


def apply_template_targets(project, data: dict, user) -> None:
    for row in data.get("targets") or []:
        target_create(
            project=project,
            user=user,
            metric=row["metric"],
            target=row["target"],
            direction=row.get("direction") or Target.Direction.HIGHER,
            baseline=row.get("baseline"),
            primary=bool(row.get("primary")),
        )


def capture_template_targets(project) -> dict:
    return {
        "targets": list(
            Target.objects.filter(project=project)
            .order_by("-primary", "metric", "id")
            .values("metric", "direction", "target", "baseline", "primary")
        )
    }

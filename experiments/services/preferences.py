"""The runs table's column chooser: which metrics and params a user shows, per project."""

from django.core.exceptions import ValidationError
from django.db import transaction

from projects.models import Project

from ..models import RunTablePreference

MAX_KEY_LENGTH = 250


def _clean_keys(keys, field: str) -> list[str]:
    if not isinstance(keys, (list, tuple)):
        raise ValidationError({field: ["Give a list of keys."]})
    cleaned: list[str] = []
    for key in keys:
        if not isinstance(key, str) or not key.strip():
            raise ValidationError({field: ["Each column is a non-empty key."]})
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationError({field: [f"A key has at most {MAX_KEY_LENGTH} characters."]})
        if key not in cleaned:  # MLflow keys are case-sensitive: kept exactly as logged
            cleaned.append(key)
    if len(cleaned) > RunTablePreference.MAX_COLUMNS:
        raise ValidationError({field: [f"Choose at most {RunTablePreference.MAX_COLUMNS} columns."]})
    return cleaned


@transaction.atomic
def run_table_preference_save(*, user, project: Project, metrics: list[str], params: list[str]) -> RunTablePreference:
    """Remember the columns `user` chose for the runs tables of `project` (in the order given)."""
    metrics, params = _clean_keys(metrics, "metrics"), _clean_keys(params, "params")
    preference, _ = RunTablePreference.objects.update_or_create(
        user=user, project=project, defaults={"metrics": metrics, "params": params}
    )
    return preference


@transaction.atomic
def run_table_preference_reset(*, user, project: Project) -> None:
    """Back to the default columns (the keys most runs have)."""
    RunTablePreference.objects.filter(user=user, project=project).delete()

"""Saved views: a named set of ticket filters, private or shared with the project."""

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Membership, Project, SavedView

# The filters a saved view may hold (the same names as the backlog and API query string).
SAVED_FILTER_KEYS = ("status", "assignee", "sprint", "label", "type", "priority", "q", "parent")


def saved_view_filters_clean(filters: dict) -> dict:
    if filters is not None and not isinstance(filters, dict):
        raise ValidationError({"filters": ["Give an object of filter names and values."]})
    cleaned = {}
    for key, value in (filters or {}).items():
        if value in (None, "", []):
            continue
        if key in SAVED_FILTER_KEYS or key.startswith("cf_"):
            cleaned[key] = value if isinstance(value, str) else str(value)
    return cleaned


@transaction.atomic
def saved_view_create(
    *, project: Project, owner, name: str, filters: dict | None = None, shared: bool = False
) -> SavedView:
    name = (name or "").strip()
    if SavedView.objects.filter(project=project, owner=owner, name=name).exists():
        raise ValidationError({"name": [f"You already have a view named “{name}”."]})
    view = SavedView(project=project, owner=owner, name=name, filters=saved_view_filters_clean(filters), shared=shared)
    view.full_clean()
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, user) -> None:
    is_admin = Membership.objects.filter(project_id=view.project_id, user=user, role="admin").exists()
    if view.owner_id != user.pk and not is_admin:
        raise ValidationError({"view": ["Only its owner or a project admin can delete this view."]})
    view.delete()

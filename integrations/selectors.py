"""Reads: a project's hooks, a hook's delivery log and import jobs."""

from django.db.models import Q, QuerySet

from projects.models import Membership, Role

from .models import Delivery, ImportJob, Webhook


def webhook_list(*, project) -> QuerySet[Webhook]:
    return Webhook.objects.filter(project=project).order_by("id")


def delivery_list(*, webhook: Webhook) -> QuerySet[Delivery]:
    return Delivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")


def import_job_for(*, user, job_id: int) -> ImportJob | None:
    """An import job its starter may follow, as may the admins of the project it writes to;
    anyone else gets None (a 404, as for any object they may not see)."""
    if not getattr(user, "is_authenticated", False):
        return None
    admin_of = Membership.objects.filter(user=user, role=Role.ADMIN).values("project_id")
    return (
        ImportJob.objects.filter(Q(created_by=user) | Q(project_id__in=admin_of), pk=job_id)
        .select_related("project")
        .first()
    )

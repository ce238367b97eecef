"""Reads for projects and memberships. Pages call these, never the ORM in a loop."""

from django.db.models import Count, Func, IntegerField, OuterRef, QuerySet, Subquery

from ..access import projects_for
from ..models import Membership, Notification, Project


def project_list(*, user) -> QuerySet[Project]:
    # A subquery, because the membership join that scopes the list would make a Count say 1.
    members = Membership.objects.filter(project=OuterRef("pk")).values("project").annotate(n=Count("id")).values("n")
    return projects_for(user).annotate(member_count=Subquery(members, output_field=IntegerField())).order_by("name")


def project_members(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")


def project_switcher(*, user) -> list[dict]:
    return list(projects_for(user).order_by("name").values("key", "name"))


def header_navigation(*, user) -> tuple[list[dict], int]:
    """What every page's header shows: the project switcher's rows and the bell's unread
    count, in one query. Each switcher row carries the count as an uncorrelated scalar
    subquery (computed once); a user without projects gets the count alone."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).order_by()
    # COUNT through Func: one row whatever matches, without a GROUP BY.
    count = Subquery(unread.annotate(n=Func("id", function="COUNT")).values("n"), output_field=IntegerField())
    rows = list(projects_for(user).order_by("name").values("key", "name", unread_notifications=count))
    if not rows:
        return [], unread.count()
    return [{"key": row["key"], "name": row["name"]} for row in rows], rows[0]["unread_notifications"]

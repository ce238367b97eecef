"""Reads for projects and memberships. Pages call these, never the ORM in a loop."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery

from ..access import projects_for
from ..models import Membership, Project


def project_list(*, user) -> QuerySet[Project]:
    # A subquery, because the membership join that scopes the list would make a Count say 1.
    members = Membership.objects.filter(project=OuterRef("pk")).values("project").annotate(n=Count("id")).values("n")
    return projects_for(user).annotate(member_count=Subquery(members, output_field=IntegerField())).order_by("name")


def project_members(*, project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")


def project_switcher(*, user) -> list[dict]:
    return list(projects_for(user).order_by("name").values("key", "name"))

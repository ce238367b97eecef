"""Who may do what to a project: the one place that answers it.

Every page, queryset and API endpoint goes through here. A user who is not a member of a
project gets 404 for anything of it (existence does not leak); a member whose role does
not allow an action gets 403.
"""

import enum

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404
from rest_framework import permissions

from accounts.audit import note_project

from .models import Project, Role


class Action(enum.Enum):
    VIEW = "view"  # read anything of the project
    EDIT = "edit"  # create and change work: tickets, comments, docs, runs
    ADMIN = "admin"  # members, settings, workflow, integrations


ALLOWED = {
    Role.VIEWER: {Action.VIEW},
    Role.MEMBER: {Action.VIEW, Action.EDIT},
    Role.ADMIN: {Action.VIEW, Action.EDIT, Action.ADMIN},
}


def role_allows(role: str | None, action: Action) -> bool:
    return role is not None and action in ALLOWED.get(role, set())


def roles_allowed(action: Action) -> list[str]:
    """The roles that allow `action`, for checks written in SQL (services/board_sql.py)."""
    return [role.value for role, actions in ALLOWED.items() if action in actions]


def projects_for(user) -> QuerySet[Project]:
    """The projects a user is a member of, each annotated with `user_role`."""
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user).annotate(user_role=F("memberships__role"))


def scope(queryset: QuerySet, user, *, project_path: str = "project") -> QuerySet:
    """Restrict any queryset of project-owned rows to projects the user belongs to,
    annotating each row with the user's role as `user_role`."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(**{f"{project_path}__memberships__user": user}).annotate(
        user_role=F(f"{project_path}__memberships__role")
    )


def _note_project(obj) -> None:
    """Tell the audit log which project this request touches (free: no query)."""
    if isinstance(obj, Project):
        note_project(obj.pk, obj.key)
    else:
        note_project(getattr(obj, "project_id", None))


def require(obj, action: Action):
    """`obj` came from `scope` or `projects_for`: refuse unless its role allows `action`."""
    _note_project(obj)
    if not role_allows(getattr(obj, "user_role", None), action):
        raise PermissionDenied(f"Your role does not allow this ({action.value}).")
    return obj


def get_scoped_or_404(queryset: QuerySet, user, action: Action = Action.VIEW, *, project_path="project", **lookup):
    obj = scope(queryset, user, project_path=project_path).filter(**lookup).first()
    if obj is None:
        raise Http404("Not found.")
    return require(obj, action)


def project_for(user, key: str, action: Action = Action.VIEW) -> Project:
    """The project with this key, if the user is a member; 404 otherwise, 403 if the role
    does not allow the action. One query."""
    project = projects_for(user).filter(key=key).first()
    if project is None:
        raise Http404("No such project.")
    return require(project, action)


def can(obj, action: Action) -> bool:
    return role_allows(getattr(obj, "user_role", None), action)


class ProjectRolePermission(permissions.BasePermission):
    """DRF permission for views that resolve their project through this module.

    Safe methods need VIEW, other methods EDIT, unless the view names
    `write_action = Action.ADMIN` (or `read_action`). The 404 for non-members comes from
    the lookup itself; this class only refuses a member's insufficient role."""

    def has_object_permission(self, request, view, obj):
        _note_project(obj)
        if request.method in permissions.SAFE_METHODS:
            action = getattr(view, "read_action", Action.VIEW)
        else:
            action = getattr(view, "write_action", Action.EDIT)
        return role_allows(getattr(obj, "user_role", None), action)

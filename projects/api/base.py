"""The base every project-scoped API view stands on: it resolves the project (or any
project-owned object) through `access`, so a non-member gets 404 and a member whose role
does not allow the method gets 403, with no permission code in the views themselves."""

from django.http import Http404
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from ..access import Action, ProjectRolePermission, projects_for, scope


class ProjectScopedMixin:
    permission_classes = [IsAuthenticated, ProjectRolePermission]
    read_action = Action.VIEW
    write_action = Action.EDIT
    project_url_kwarg = "key"

    def get_project(self):
        """The project named in the URL, with the caller's role checked for this method."""
        if not hasattr(self, "_project"):
            project = projects_for(self.request.user).filter(key=self.kwargs[self.project_url_kwarg]).first()
            if project is None:
                raise Http404
            self.check_object_permissions(self.request, project)
            self._project = project
        return self._project

    def get_scoped_object(self, queryset, *, project_path="project", **lookup):
        """A project-owned object (ticket, doc, run...) the caller may see, role checked."""
        obj = scope(queryset, self.request.user, project_path=project_path).filter(**lookup).first()
        if obj is None:
            raise Http404
        self.check_object_permissions(self.request, obj)
        return obj

    def get_scoped_ticket(self, queryset, ticket_key: str):
        """A ticket by its key as written (`CV-12`: keys are matched exactly, so `cv-12`
        is a 404 everywhere), scoped and role checked like any project-owned object.
        Every endpoint under /tickets/{ticket_key}/ resolves its ticket here."""
        return self.get_scoped_object(queryset, key=ticket_key)


class ProjectScopedAPIView(ProjectScopedMixin, generics.GenericAPIView):
    pass

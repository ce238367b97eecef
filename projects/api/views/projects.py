"""Projects and their members over REST: list and create projects, read, change and delete
one; add members, change a role, remove a member (or leave)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from ... import selectors, services
from ...access import Action, projects_for
from ..base import ProjectScopedAPIView
from ..serializers import (
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
)


class ProjectListCreate(generics.ListCreateAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return projects_for(self.request.user).order_by("key")

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def post(self, request):
        data = ProjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(creator=request.user, **data.validated_data)
        project.user_role = "admin"
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetail(ProjectScopedAPIView):
    serializer_class = ProjectSerializer
    write_action = Action.ADMIN

    def get(self, request, key):
        return Response(ProjectSerializer(self.get_project()).data)

    @extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer})
    def patch(self, request, key):
        project = self.get_project()
        data = ProjectUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.project_update(project=project, actor=request.user, **data.validated_data)
        return Response(ProjectSerializer(project).data)

    @extend_schema(responses={204: None})
    def delete(self, request, key):
        services.project_delete(project=self.get_project())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListCreate(ProjectScopedAPIView):
    serializer_class = MembershipSerializer
    write_action = Action.ADMIN

    @extend_schema(operation_id="projects_members_list", responses={200: MembershipSerializer(many=True)})
    def get(self, request, key):
        members = selectors.project_members(project=self.get_project())
        page = self.paginate_queryset(members)
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)

    @extend_schema(
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer},
        description="Add an existing user by `username`, or invite someone by `email` (as the Members page "
        "does): they are told by e-mail, sent once the membership is committed.",
    )
    def post(self, request, key):
        project = self.get_project()
        data = MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_invite(
            project=project,
            inviter=request.user,
            base_url=request.build_absolute_uri("/").rstrip("/"),
            **data.validated_data,
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetail(ProjectScopedAPIView):
    serializer_class = MembershipSerializer

    @property
    def write_action(self):
        """Admins manage members; anyone may remove themselves (leave the project)."""
        return Action.VIEW if self._leaving() else Action.ADMIN

    def _leaving(self) -> bool:
        return self.request.method == "DELETE" and self.kwargs.get("username") == self.request.user.username

    def get_membership(self, username):
        membership = selectors.project_members(project=self.get_project()).filter(user__username=username).first()
        if membership is None:
            raise Http404
        return membership

    def get(self, request, key, username):
        return Response(MembershipSerializer(self.get_membership(username)).data)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    def patch(self, request, key, username):
        membership = self.get_membership(username)
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.membership_change_role(membership=membership, role=data.validated_data["role"])
        return Response(MembershipSerializer(membership).data)

    @extend_schema(
        responses={204: None},
        description="Admins remove a member; any member may remove "
        "themselves (leave the project), except its last admin.",
    )
    def delete(self, request, key, username):
        services.membership_remove(membership=self.get_membership(username), leaving=self._leaving())
        return Response(status=status.HTTP_204_NO_CONTENT)

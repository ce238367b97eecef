"""GET /api/v1/projects/{key}/audit-log/: the project's audit log, newest first, paginated,
filtered like the page. Admins only: members and viewers get 403, non-members 404."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from accounts.audit import audit_entries, audit_filters_from
from accounts.models import AuditEntry

from ...access import Action
from ..base import ProjectScopedAPIView


class AuditEntrySerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="username", help_text="The username at the time (kept if the user goes).")
    token = serializers.IntegerField(
        source="token_id", allow_null=True, help_text="The API token's id, if one was used."
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "user",
            "token",
            "token_name",
            "ip_address",
            "method",
            "path",
            "route",
            "action",
            "object_type",
            "object_key",
            "project_key",
            "status_code",
            "request_id",
            "via_api",
        ]
        read_only_fields = fields


FILTER_PARAMETERS = [
    OpenApiParameter("user", OpenApiTypes.STR, description="Only entries by this username."),
    OpenApiParameter("action", OpenApiTypes.STR, description="Only this action: create, update, delete, move..."),
    OpenApiParameter("object_type", OpenApiTypes.STR, description="Only this object type: ticket, sprint, doc..."),
    OpenApiParameter("since", OpenApiTypes.DATE, description="Only entries on or after this day (UTC)."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Only entries on or before this day (UTC)."),
]


class AuditLogList(ProjectScopedAPIView):
    serializer_class = AuditEntrySerializer
    read_action = Action.ADMIN

    @extend_schema(
        operation_id="projects_audit_log_list",
        parameters=FILTER_PARAMETERS,
        responses={200: AuditEntrySerializer(many=True)},
    )
    def get(self, request, key):
        project = self.get_project()
        filters, errors = audit_filters_from(request.query_params)
        if errors:
            raise ValidationError(errors)
        page = self.paginate_queryset(audit_entries(project_id=project.pk, filters=filters))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

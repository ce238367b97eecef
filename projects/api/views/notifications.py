"""The caller's in-app notifications over REST: list them (filter `?unread=true`), mark
some or all read, as the notifications page does."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ... import selectors, services
from ..serializers.notifications import (
    NotificationSerializer,
    NotificationsReadResultSerializer,
    NotificationsReadSerializer,
)

TRUE, FALSE = {"1", "true", "yes"}, {"0", "false", "no"}


class NotificationList(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer

    @extend_schema(
        operation_id="notifications_list",
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="true: unread only; false: read only.")],
        responses={200: NotificationSerializer(many=True)},
    )
    def get(self, request):
        flag = request.query_params.get("unread", "").lower()
        unread = True if flag in TRUE else False if flag in FALSE else None
        page = self.paginate_queryset(selectors.notifications_for(user=request.user, unread=unread))
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationsRead(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationsReadSerializer

    @extend_schema(
        operation_id="notifications_read",
        request=NotificationsReadSerializer,
        responses={200: NotificationsReadResultSerializer},
    )
    def post(self, request):
        data = NotificationsReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(user=request.user, ids=data.validated_data["ids"])
        return Response({"marked": marked})

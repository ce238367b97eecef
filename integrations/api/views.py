"""Outbound webhooks over REST, admins of the project only (a non-member gets 404, a
viewer or member 403)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from projects.access import Action
from projects.api.base import ProjectScopedAPIView

from .. import selectors, services
from ..models import Delivery, DeliveryAttempt, Webhook
from .serializers import (
    DeliverySerializer,
    WebhookCreatedSerializer,
    WebhookPatchSerializer,
    WebhookSerializer,
    WebhookWriteSerializer,
)


class AdminOnly(ProjectScopedAPIView):
    read_action = Action.ADMIN
    write_action = Action.ADMIN

    def get_webhook(self, webhook_id: int) -> Webhook:
        return self.get_scoped_object(Webhook.objects.select_related("project"), pk=webhook_id)


class WebhookListCreate(AdminOnly):
    serializer_class = WebhookSerializer

    @extend_schema(operation_id="projects_webhooks_list", responses={200: WebhookSerializer(many=True)})
    def get(self, request, key):
        project = self.get_project()
        page = self.paginate_queryset(selectors.webhook_list(project=project).select_related("project"))
        return self.get_paginated_response(WebhookSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_webhooks_create",
        request=WebhookWriteSerializer,
        responses={201: WebhookCreatedSerializer},
    )
    def post(self, request, key):
        project = self.get_project()
        data = WebhookWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hook = services.webhook_create(project=project, user=request.user, **data.validated_data)
        return Response(WebhookCreatedSerializer(hook).data, status=status.HTTP_201_CREATED)


class WebhookDetail(AdminOnly):
    serializer_class = WebhookSerializer

    @extend_schema(operation_id="webhooks_retrieve", responses={200: WebhookSerializer})
    def get(self, request, webhook_id):
        return Response(WebhookSerializer(self.get_webhook(webhook_id)).data)

    @extend_schema(
        operation_id="webhooks_partial_update", request=WebhookPatchSerializer, responses={200: WebhookSerializer}
    )
    def patch(self, request, webhook_id):
        hook = self.get_webhook(webhook_id)
        data = WebhookPatchSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        hook = services.webhook_update(webhook=hook, **data.validated_data)
        return Response(WebhookSerializer(hook).data)

    @extend_schema(operation_id="webhooks_destroy", responses={204: None})
    def delete(self, request, webhook_id):
        services.webhook_delete(webhook=self.get_webhook(webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryList(AdminOnly):
    serializer_class = DeliverySerializer

    @extend_schema(operation_id="webhooks_deliveries_list", responses={200: DeliverySerializer(many=True)})
    def get(self, request, webhook_id):
        hook = self.get_webhook(webhook_id)
        deliveries = selectors.delivery_list(webhook=hook).prefetch_related(
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number"))
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class DeliveryRedeliver(AdminOnly):
    serializer_class = DeliverySerializer

    @extend_schema(operation_id="webhooks_deliveries_redeliver", request=None, responses={202: DeliverySerializer})
    def post(self, request, webhook_id, delivery_id):
        hook = self.get_webhook(webhook_id)
        delivery = Delivery.objects.filter(webhook=hook, pk=delivery_id).select_related("webhook").first()
        if delivery is None:
            return Response({"detail": "No such delivery."}, status=status.HTTP_404_NOT_FOUND)
        again = services.delivery_redeliver(delivery=delivery)
        return Response(DeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)


class WebhookTest(AdminOnly):
    serializer_class = DeliverySerializer

    @extend_schema(operation_id="webhooks_test", request=None, responses={202: DeliverySerializer})
    def post(self, request, webhook_id):
        delivery = services.webhook_send_test(webhook=self.get_webhook(webhook_id), user=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

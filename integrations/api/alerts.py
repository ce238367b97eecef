"""The alert intake's API: its configuration for project admins, and the endpoint
Alertmanager posts to (token in `Authorization: Bearer`, no session, no CSRF)."""

import json
import logging

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from aihub import throttling
from projects.access import Action
from projects.api.base import ProjectScopedAPIView

from .. import alerts
from ..models import AlertDelivery, AlertIntake

logger = logging.getLogger(__name__)

# Per project, and per address for requests that fail to authenticate.
INTAKE_RATE = 600
BAD_TOKEN_RATE = 30


def intake_url(request, project_key: str) -> str:
    return request.build_absolute_uri(reverse("alert-intake-receive", kwargs={"key": project_key}))


class AlertDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertDelivery
        fields = ("id", "accepted", "error", "status", "alerts", "created_tickets", "group_key", "created_at")
        read_only_fields = fields


class AlertIntakeOptionsSerializer(serializers.Serializer):
    repeat_comment_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30, required=False)
    resolve_status = serializers.CharField(max_length=50, allow_blank=True, required=False)


class AlertIntakeTokenSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Where Alertmanager posts (webhook_configs url).")
    token = serializers.CharField(help_text="Shown once: send it as `Authorization: Bearer <token>`.")


class AlertIntakeSerializer(serializers.Serializer):
    url = serializers.URLField()
    configured = serializers.BooleanField()
    token_hint = serializers.CharField(required=False)
    repeat_comment_minutes = serializers.IntegerField(required=False)
    resolve_status = serializers.CharField(required=False, allow_blank=True)
    received = serializers.IntegerField(required=False)
    rejected = serializers.IntegerField(required=False)
    deliveries = AlertDeliverySerializer(many=True, required=False)


class AlertIntakeView(ProjectScopedAPIView):
    """GET: the intake's URL, options and recent deliveries. POST: (re)generate the token,
    answered once as {"url", "token"}. PATCH: the options. Project admins only."""

    read_action = Action.ADMIN
    write_action = Action.ADMIN
    serializer_class = AlertIntakeOptionsSerializer

    def _describe(self, intake: AlertIntake | None) -> dict:
        project = self.get_project()
        data = {"url": intake_url(self.request, project.key), "configured": intake is not None}
        if intake is not None:
            data |= {
                "token_hint": intake.token_hint,
                "repeat_comment_minutes": intake.repeat_comment_minutes,
                "resolve_status": intake.resolve_status,
                "received": intake.received,
                "rejected": intake.rejected,
                "deliveries": AlertDeliverySerializer(intake.deliveries.all()[:20], many=True).data,
            }
        return data

    @extend_schema(responses=AlertIntakeSerializer)
    def get(self, request, key):
        project = self.get_project()
        return Response(self._describe(AlertIntake.objects.filter(project=project).first()))

    @extend_schema(request=None, responses=AlertIntakeTokenSerializer)
    def post(self, request, key):
        project = self.get_project()
        _intake, raw = alerts.alert_intake_token_rotate(project=project, user=request.user)
        return Response({"url": intake_url(request, project.key), "token": raw}, status=status.HTTP_200_OK)

    @extend_schema(request=AlertIntakeOptionsSerializer, responses=AlertIntakeSerializer)
    def patch(self, request, key):
        project = self.get_project()
        intake = AlertIntake.objects.filter(project=project).first()
        if intake is None:
            return Response({"detail": "POST first to create the intake and its token."}, status=404)
        ser = AlertIntakeOptionsSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            alerts.alert_intake_update(
                intake=intake,
                repeat_comment_minutes=ser.validated_data.get("repeat_comment_minutes", intake.repeat_comment_minutes),
                resolve_status=ser.validated_data.get("resolve_status", intake.resolve_status),
            )
        except ValidationError as exc:
            return Response(exc.message_dict, status=400)
        return Response(self._describe(intake))


def _error(message: str, code: int, **headers) -> JsonResponse:
    response = JsonResponse({"detail": message}, status=code)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
@require_POST
def alert_intake_receive(request, key: str):
    """Alertmanager's webhook receiver for project `key`."""
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    raw = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    project, intake = alerts.alert_intake_for_token(project_key=key, raw_token=raw)
    if project is None:
        return _error("No such project.", 404)
    if intake is None:
        ip = throttling.client_ip(request)
        if not throttling.hit("alert_intake_bad_token", ip, limit=BAD_TOKEN_RATE, window=60).allowed:
            return _error("Too many refused requests.", 429, **{"Retry-After": "60"})
        return _error("A valid intake token is required (Authorization: Bearer <token>).", 401)
    limit = throttling.hit("alert_intake", key, limit=INTAKE_RATE, window=60)
    if not limit.allowed:
        return _error("Too many payloads for this project.", 429, **{"Retry-After": str(int(limit.retry_after) + 1)})
    try:
        body = request.body
    except RequestDataTooBig:
        alerts.alert_delivery_refused(intake=intake, error="The payload is too large.")
        return _error("The payload is too large.", 413)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        message = f"The body is not JSON ({exc.__class__.__name__}: {exc})."[:300]
        logger.warning("alert intake of project %s refused a payload: %s", project.key, message)
        alerts.alert_delivery_refused(intake=intake, error=message)
        return _error(message, 400)
    try:
        delivery = alerts.alert_payload_receive(intake=intake, payload=payload)
    except alerts.PayloadError as exc:
        return _error(str(exc), 400)
    except ValidationError as exc:  # a label or text the project refuses: nothing was written
        message = "; ".join(exc.messages)[:500]
        logger.warning("alert intake of project %s could not apply a payload: %s", project.key, message)
        alerts.alert_delivery_refused(intake=intake, error=message)
        return _error(message, 400)
    return JsonResponse({"status": "ok", "alerts": delivery.alerts, "created": delivery.created_tickets})

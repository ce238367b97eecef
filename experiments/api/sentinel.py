"""The regression sentinel's settings over REST (Experiments > Sentinel): members read them,
admins set them."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from projects.access import Action
from projects.api.base import ProjectScopedAPIView

from .. import services
from ..models import Sentinel
from . import serializers as s


class SentinelView(ProjectScopedAPIView):
    serializer_class = s.SentinelSerializer
    write_action = Action.ADMIN

    def get_object(self) -> Sentinel:
        """The project's sentinel (404 when none is set). DRF's OPTIONS answer calls this too
        before describing PUT (GenericAPIView's own needs a queryset: a 500 without it)."""
        sentinel = Sentinel.objects.filter(project=self.get_project()).select_related("regression_ticket").first()
        if sentinel is None:
            raise Http404
        return sentinel

    @extend_schema(operation_id="project_sentinel_retrieve", responses=s.SentinelSerializer)
    def get(self, request, key):
        return Response(s.SentinelSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="project_sentinel_update",
        request=s.SentinelSerializer,
        responses=s.SentinelSerializer,
        description="Set the sentinel (the whole of it: fields left out take their defaults).",
    )
    def put(self, request, key):
        data = s.SentinelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sentinel = services.sentinel_configure(project=self.get_project(), **data.validated_data)
        return Response(s.SentinelSerializer(sentinel).data)

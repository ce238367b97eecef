"""The caller's own account over REST, as the Profile and API tokens pages: read and change
the profile; list, create (the raw token is answered once) and revoke personal tokens."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import selectors, services
from ..models import ApiToken
from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
)


class Me(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ProfileSerializer

    @extend_schema(operation_id="me_retrieve", responses=ProfileSerializer)
    def get(self, request):
        return Response(ProfileSerializer(request.user).data)

    @extend_schema(operation_id="me_partial_update", request=ProfileUpdateSerializer, responses=ProfileSerializer)
    def patch(self, request):
        data = ProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        values = {"display_name": user.display_name, "email": user.email, **data.validated_data}
        services.user_profile_update(user=user, **values)
        return Response(ProfileSerializer(user).data)


class TokenListCreate(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer

    @extend_schema(operation_id="tokens_list", responses=ApiTokenSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(selectors.api_tokens_of(user=request.user))
        return self.get_paginated_response(ApiTokenSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tokens_create", request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer}
    )
    def post(self, request):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = services.api_token_create(user=request.user, name=data.validated_data["name"])
        token.token = raw
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenDetail(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer

    @extend_schema(
        operation_id="tokens_revoke",
        responses={204: None},
        description="Revoke one of your tokens (the one making this call too, if you name it).",
    )
    def delete(self, request, token_id):
        token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
        if token is None:
            raise Http404
        services.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)

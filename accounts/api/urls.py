from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.Me.as_view(), name="me"),
    path("tokens/", views.TokenListCreate.as_view(), name="token-list"),
    path("tokens/<int:token_id>/", views.TokenDetail.as_view(), name="token-detail"),
]

from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("<int:webhook_id>/", views.webhook_update, name="webhook"),
    path("<int:webhook_id>/deliveries/", views.webhook_deliveries, name="deliveries"),
    path("<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/", views.delivery_redeliver, name="redeliver"),
]

from django.urls import path

from . import imports, jira, markdown, views

urlpatterns = [
    path("projects/<str:key>/webhooks/", views.WebhookListCreate.as_view(), name="webhook-list"),
    path("webhooks/<int:webhook_id>/", views.WebhookDetail.as_view(), name="webhook-detail"),
    path("webhooks/<int:webhook_id>/deliveries/", views.DeliveryList.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver/",
        views.DeliveryRedeliver.as_view(),
        name="webhook-redeliver",
    ),
    path("webhooks/<int:webhook_id>/test/", views.WebhookTest.as_view(), name="webhook-test"),
    path("imports/<int:job_id>/", imports.ImportJobDetail.as_view(), name="import-detail"),
    path("projects/<str:key>/imports/jira/", jira.JiraImport.as_view(), name="import-jira"),
    path("projects/<str:key>/imports/markdown/", markdown.MarkdownImport.as_view(), name="import-markdown"),
]

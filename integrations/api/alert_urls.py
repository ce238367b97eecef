from django.urls import path

from .alerts import AlertIntakeView, alert_intake_receive

urlpatterns = [
    path("projects/<str:key>/alert-intake/", AlertIntakeView.as_view(), name="alert-intake"),
    path("projects/<str:key>/alert-intake/alertmanager/", alert_intake_receive, name="alert-intake-receive"),
]

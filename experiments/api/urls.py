from django.urls import path

from . import compare, sentinel, views

urlpatterns = [
    path("projects/<str:key>/mlflow-sources/", views.ProjectSourcesView.as_view(), name="api-mlflow-sources"),
    path("projects/<str:key>/mlflow-sources/test/", views.SourceTestView.as_view(), name="api-mlflow-source-test"),
    path("mlflow-sources/<int:source_id>/", views.SourceDetailView.as_view(), name="api-mlflow-source"),
    path("mlflow-sources/<int:source_id>/sync/", views.SourceSyncView.as_view(), name="api-mlflow-source-sync"),
    path("projects/<str:key>/runs/", views.ProjectRunsView.as_view(), name="api-project-runs"),
    path("projects/<str:key>/runs/compare/", compare.RunCompareView.as_view(), name="api-project-runs-compare"),
    path("projects/<str:key>/sentinel/", sentinel.SentinelView.as_view(), name="api-project-sentinel"),
    path("projects/<str:key>/experiments/", compare.ProjectExperimentsView.as_view(), name="api-project-experiments"),
    path("projects/<str:key>/targets/", views.ProjectTargetsView.as_view(), name="api-project-targets"),
    path("targets/<int:target_id>/", views.TargetDetailView.as_view(), name="api-target"),
    path("runs/<str:run_id>/", views.RunDetailView.as_view(), name="api-run"),
    path("runs/<str:run_id>/metrics/<path:metric_key>/", views.RunMetricHistoryView.as_view(), name="api-run-metric"),
    path("tickets/<str:ticket_key>/runs/", views.TicketRunsView.as_view(), name="api-ticket-runs"),
    path("tickets/<str:ticket_key>/runs/<str:run_id>/", views.TicketRunDetailView.as_view(), name="api-ticket-run"),
    path("tickets/<str:ticket_key>/gates/", views.TicketGatesView.as_view(), name="api-ticket-gates"),
    path("tickets/<str:ticket_key>/gates/<int:gate_id>/", views.TicketGateDetailView.as_view(), name="api-ticket-gate"),
]

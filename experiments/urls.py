from django.urls import path

from . import views

app_name = "experiments"

urlpatterns = [
    path("", views.index, name="index"),
    path("hub-section/", views.hub_section, name="hub_section"),
    path("targets/", views.targets, name="targets"),
    path("targets/section/", views.targets_section, name="targets_section"),
    path("charts/burnup/", views.burnup_section, name="burnup_section"),
    path("charts/runs-per-sprint/", views.runs_per_sprint_section, name="runs_per_sprint_section"),
    path("targets/<int:target_id>/", views.target_edit, name="target_edit"),
    path("targets/<int:target_id>/delete/", views.target_delete, name="target_delete"),
    path("targets/<int:target_id>/gate/", views.target_gate, name="target_gate"),
    path("sources/", views.sources, name="sources"),
    path("sources/test/", views.source_test, name="source_test"),
    path("sources/<int:source_id>/", views.source_detail, name="source"),
    path("sources/<int:source_id>/sync/", views.source_sync_now, name="source_sync"),
    path("sentinel/", views.sentinel_settings, name="sentinel"),
    path("e/<int:experiment_pk>/", views.experiment_runs, name="experiment"),
    path("e/<int:experiment_pk>/columns/", views.experiment_columns, name="experiment_columns"),
    path("runs/<str:run_id>/", views.run_detail, name="run"),
    path("runs/<str:run_id>/link/", views.run_link_ticket, name="run_link"),
    path("runs/<str:run_id>/unlink/<str:ticket_key>/", views.run_unlink_ticket, name="run_unlink"),
    path("compare/", views.compare, name="compare"),
    path("tickets/<str:ticket_key>/panel/", views.ticket_panel, name="ticket_panel"),
    path("tickets/<str:ticket_key>/panel/search/", views.ticket_run_search, name="ticket_run_search"),
    path("tickets/<str:ticket_key>/panel/link/", views.ticket_link_run, name="ticket_link_run"),
    path("tickets/<str:ticket_key>/panel/unlink/<str:run_id>/", views.ticket_unlink_run, name="ticket_unlink_run"),
    path("tickets/<str:ticket_key>/panel/gates/", views.ticket_gate_add, name="ticket_gate_add"),
    path(
        "tickets/<str:ticket_key>/panel/gates/<int:gate_id>/delete/",
        views.ticket_gate_delete,
        name="ticket_gate_delete",
    ),
]

from django.urls import path

from . import views
from .views import audit as audit_views
from .views import backlog as backlog_views
from .views import comments as comment_views
from .views import flow as flow_views
from .views import health as health_views
from .views import lifecycle as lifecycle_views
from .views import notifications as notification_views
from .views import relations as relation_views
from .views import risks as risk_views
from .views import roadmap as roadmap_views
from .views import sprints as sprint_views
from .views import subtasks as subtask_views
from .views import templates as template_views
from .views import ticket_csv as ticket_csv_views
from .views import ticket_fields as ticket_field_views
from .views import tickets as ticket_views
from .views import workflow as workflow_views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path("notifications/<int:notification_id>/", notification_views.notification_open, name="notification_open"),
    path("<str:key>/", views.project_hub, name="hub"),
    path("<str:key>/dashboard/", views.project_dashboard, name="dashboard"),
    path("<str:key>/dashboard/flow/", flow_views.cumulative_flow_section, name="flow_section"),
    path("<str:key>/dashboard/cycle-time/", flow_views.cycle_time_section, name="cycle_time_section"),
    path("<str:key>/dashboard/forecast/", health_views.forecast_section, name="forecast"),
    path("<str:key>/settings/", views.project_settings, name="settings"),
    path("<str:key>/settings/audit-log/", audit_views.audit_log, name="audit_log"),
    path("<str:key>/settings/template/", template_views.project_save_as_template, name="save_as_template"),
    path(
        "<str:key>/settings/templates/<int:template_id>/delete/",
        template_views.project_template_delete,
        name="template_delete",
    ),
    path("<str:key>/delete/", views.project_delete, name="delete"),
    path("<str:key>/members/", views.project_members, name="members"),
    path("<str:key>/members/<int:membership_id>/role/", views.member_change_role, name="member_role"),
    path("<str:key>/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("<str:key>/leave/", views.project_leave, name="leave"),
    path("<str:key>/board/", views.board, name="board"),
    path("<str:key>/board/new/", views.board_quick_create, name="board_quick_create"),
    path("<str:key>/board/summary/", views.board_summary, name="board_summary"),
    path("<str:key>/board/<slug:status>/more/", views.board_column_more, name="board_more"),
    path("<str:key>/live/", views.project_live, name="live"),
    # Planning: tickets, backlog, sprints, workflow and custom fields.
    path("<str:key>/tickets/new/", ticket_views.ticket_create, name="ticket_create"),
    path("<str:key>/tickets/<str:ticket_key>/", ticket_views.ticket_detail, name="ticket"),
    path(
        "<str:key>/tickets/<str:ticket_key>/fields/<str:field>/", ticket_field_views.ticket_field, name="ticket_field"
    ),
    path("<str:key>/tickets/<str:ticket_key>/comments/", comment_views.ticket_comment, name="ticket_comment"),
    path(
        "<str:key>/tickets/<str:ticket_key>/comments/<int:comment_id>/delete/",
        comment_views.ticket_comment_delete,
        name="ticket_comment_delete",
    ),
    path(
        "<str:key>/tickets/<str:ticket_key>/relations/", relation_views.ticket_relation_add, name="ticket_relation_add"
    ),
    path(
        "<str:key>/tickets/<str:ticket_key>/relations/<int:relation_id>/remove/",
        relation_views.ticket_relation_remove,
        name="ticket_relation_remove",
    ),
    path("<str:key>/tickets/<str:ticket_key>/subtasks/", subtask_views.ticket_subtask, name="ticket_subtask"),
    path("<str:key>/tickets/<str:ticket_key>/delete/", ticket_views.ticket_delete, name="ticket_delete"),
    path("<str:key>/backlog/", backlog_views.backlog, name="backlog"),
    path("<str:key>/backlog/export.csv", ticket_csv_views.backlog_csv, name="backlog_csv"),
    path("<str:key>/backlog/create/", backlog_views.backlog_create, name="backlog_create"),
    path("<str:key>/backlog/plan/", backlog_views.backlog_plan, name="backlog_plan"),
    path("<str:key>/views/", backlog_views.saved_view_create, name="saved_view_create"),
    path("<str:key>/views/<int:view_id>/delete/", backlog_views.saved_view_delete, name="saved_view_delete"),
    path("<str:key>/sprints/", sprint_views.sprint_list, name="sprints"),
    path("<str:key>/sprints/<int:sprint_id>/", sprint_views.sprint_detail, name="sprint"),
    path("<str:key>/sprints/<int:sprint_id>/edit/", sprint_views.sprint_edit, name="sprint_edit"),
    path("<str:key>/sprints/<int:sprint_id>/plan/", sprint_views.sprint_plan, name="sprint_plan"),
    path("<str:key>/sprints/<int:sprint_id>/start/", sprint_views.sprint_start, name="sprint_start"),
    path("<str:key>/sprints/<int:sprint_id>/complete/", sprint_views.sprint_complete, name="sprint_complete"),
    path("<str:key>/sprints/<int:sprint_id>/delete/", sprint_views.sprint_delete, name="sprint_delete"),
    # The risk register.
    path("<str:key>/risks/", risk_views.risk_list, name="risks"),
    path("<str:key>/risks/new/", risk_views.risk_create, name="risk_create"),
    path("<str:key>/risks/<int:risk_id>/", risk_views.risk_detail, name="risk"),
    path("<str:key>/risks/<int:risk_id>/edit/", risk_views.risk_edit, name="risk_edit"),
    path("<str:key>/risks/<int:risk_id>/close/", risk_views.risk_close, name="risk_close"),
    path("<str:key>/risks/<int:risk_id>/delete/", risk_views.risk_delete, name="risk_delete"),
    path("<str:key>/tickets/<str:ticket_key>/risks/", risk_views.ticket_risks, name="ticket_risks"),
    # The lifecycle (exit criteria, phase changes) and the roadmap (epics and milestones).
    path("<str:key>/lifecycle/", lifecycle_views.lifecycle, name="lifecycle"),
    path("<str:key>/lifecycle/advance/", lifecycle_views.phase_advance, name="phase_advance"),
    path("<str:key>/lifecycle/criteria/", lifecycle_views.exit_criterion_add, name="exit_criterion_add"),
    path(
        "<str:key>/lifecycle/criteria/suggested/",
        lifecycle_views.exit_criteria_suggested,
        name="exit_criteria_suggested",
    ),
    path(
        "<str:key>/lifecycle/criteria/<int:criterion_id>/tick/",
        lifecycle_views.exit_criterion_tick,
        name="exit_criterion_tick",
    ),
    path(
        "<str:key>/lifecycle/criteria/<int:criterion_id>/delete/",
        lifecycle_views.exit_criterion_remove,
        name="exit_criterion_delete",
    ),
    path("<str:key>/roadmap/", roadmap_views.roadmap, name="roadmap"),
    path("<str:key>/roadmap/milestones/new/", roadmap_views.milestone_create, name="milestone_create"),
    path("<str:key>/roadmap/milestones/<int:milestone_id>/edit/", roadmap_views.milestone_edit, name="milestone_edit"),
    path(
        "<str:key>/roadmap/milestones/<int:milestone_id>/complete/",
        roadmap_views.milestone_complete,
        name="milestone_complete",
    ),
    path(
        "<str:key>/roadmap/milestones/<int:milestone_id>/delete/",
        roadmap_views.milestone_delete,
        name="milestone_delete",
    ),
    path("<str:key>/settings/workflow/", workflow_views.workflow_settings, name="workflow"),
    path("<str:key>/settings/workflow/<int:status_id>/", workflow_views.workflow_status_update, name="workflow_status"),
    path("<str:key>/settings/fields/", workflow_views.custom_fields_settings, name="custom_fields"),
    path("<str:key>/settings/fields/<int:field_id>/", workflow_views.custom_field_update, name="custom_field"),
]

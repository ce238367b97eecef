from django.urls import path

from .views import audit as audit_api
from .views import board as board_api
from .views import dashboard as dashboard_api
from .views import lifecycle as lifecycle_api
from .views import notifications as notification_api
from .views import planning as planning_api
from .views import projects as project_api
from .views import risks as risk_api
from .views import sprints as sprint_api
from .views import templates as template_api
from .views import ticket_csv as ticket_csv_api
from .views import tickets as ticket_api

urlpatterns = [
    path("projects/", project_api.ProjectListCreate.as_view(), name="project-list"),
    path("project-templates/", template_api.ProjectTemplateList.as_view(), name="project-template-list"),
    path(
        "project-templates/<int:template_id>/",
        template_api.ProjectTemplateDetail.as_view(),
        name="project-template-detail",
    ),
    path("portfolio/", template_api.PortfolioView.as_view(), name="portfolio-list"),
    path("notifications/", notification_api.NotificationList.as_view(), name="notification-list"),
    path("notifications/read/", notification_api.NotificationsRead.as_view(), name="notifications-read"),
    path(
        "projects/<str:key>/save-as-template/",
        template_api.ProjectSaveAsTemplate.as_view(),
        name="project-save-as-template",
    ),
    path("projects/<str:key>/", project_api.ProjectDetail.as_view(), name="project-detail"),
    path("projects/<str:key>/members/", project_api.MemberListCreate.as_view(), name="member-list"),
    path("projects/<str:key>/audit-log/", audit_api.AuditLogList.as_view(), name="audit-log-list"),
    path("projects/<str:key>/members/<str:username>/", project_api.MemberDetail.as_view(), name="member-detail"),
    path("projects/<str:key>/board/", board_api.BoardView.as_view(), name="project-board"),
    path("projects/<str:key>/dashboard/", dashboard_api.DashboardView.as_view(), name="project-dashboard"),
    path("tickets/<str:ticket_key>/move/", board_api.TicketMoveView.as_view(), name="ticket-move"),
    path("tickets/<str:ticket_key>/rank/", board_api.TicketRankView.as_view(), name="ticket-rank"),
    path("projects/<str:key>/tickets/", ticket_api.TicketListCreate.as_view(), name="ticket-list"),
    path("projects/<str:key>/tickets/bulk/", ticket_api.TicketBulk.as_view(), name="ticket-bulk"),
    path("projects/<str:key>/tickets/export.csv", ticket_csv_api.TicketCsvExport.as_view(), name="ticket-export-csv"),
    path("tickets/<str:ticket_key>/", ticket_api.TicketDetail.as_view(), name="ticket-detail"),
    path("tickets/<str:ticket_key>/comments/", ticket_api.CommentListCreate.as_view(), name="ticket-comments"),
    path(
        "tickets/<str:ticket_key>/comments/<int:comment_id>/",
        ticket_api.CommentDetail.as_view(),
        name="ticket-comment-detail",
    ),
    path("projects/<str:key>/risks/", risk_api.RiskListCreate.as_view(), name="risk-list"),
    path("risks/<int:risk_id>/", risk_api.RiskDetail.as_view(), name="risk-detail"),
    path(
        "projects/<str:key>/exit-criteria/", lifecycle_api.ExitCriterionListCreate.as_view(), name="exit-criterion-list"
    ),
    path(
        "exit-criteria/<int:criterion_id>/", lifecycle_api.ExitCriterionDetail.as_view(), name="exit-criterion-detail"
    ),
    path("projects/<str:key>/phase/advance/", lifecycle_api.PhaseAdvance.as_view(), name="phase-advance"),
    path(
        "projects/<str:key>/phase-transitions/",
        lifecycle_api.PhaseTransitionList.as_view(),
        name="phase-transition-list",
    ),
    path("projects/<str:key>/milestones/", lifecycle_api.MilestoneListCreate.as_view(), name="milestone-list"),
    path("milestones/<int:milestone_id>/", lifecycle_api.MilestoneDetail.as_view(), name="milestone-detail"),
    path("projects/<str:key>/sprints/", sprint_api.SprintListCreate.as_view(), name="sprint-list"),
    path("sprints/<int:sprint_id>/", sprint_api.SprintDetail.as_view(), name="sprint-detail"),
    path("sprints/<int:sprint_id>/start/", sprint_api.SprintStart.as_view(), name="sprint-start"),
    path("sprints/<int:sprint_id>/complete/", sprint_api.SprintComplete.as_view(), name="sprint-complete"),
    path("sprints/<int:sprint_id>/burndown/", sprint_api.SprintBurndown.as_view(), name="sprint-burndown"),
    path("projects/<str:key>/custom-fields/", planning_api.CustomFieldListCreate.as_view(), name="custom-field-list"),
    path(
        "projects/<str:key>/custom-fields/<str:field_key>/",
        planning_api.CustomFieldDetail.as_view(),
        name="custom-field-detail",
    ),
    path("projects/<str:key>/statuses/", planning_api.StatusListCreate.as_view(), name="status-list"),
    path("projects/<str:key>/statuses/<slug:slug>/", planning_api.StatusDetail.as_view(), name="status-detail"),
    path("projects/<str:key>/views/", planning_api.SavedViewListCreate.as_view(), name="saved-view-list"),
    path("projects/<str:key>/views/<int:view_id>/", planning_api.SavedViewDetail.as_view(), name="saved-view-detail"),
    path(
        "tickets/<str:ticket_key>/relations/", planning_api.TicketRelationListCreate.as_view(), name="ticket-relations"
    ),
    path(
        "tickets/<str:ticket_key>/relations/<int:relation_id>/",
        planning_api.TicketRelationDetail.as_view(),
        name="ticket-relation-detail",
    ),
]

from django.urls import path

from . import board as board_api
from . import views

urlpatterns = [
    path("projects/", views.ProjectListCreate.as_view(), name="project-list"),
    path("projects/<str:key>/", views.ProjectDetail.as_view(), name="project-detail"),
    path("projects/<str:key>/members/", views.MemberListCreate.as_view(), name="member-list"),
    path("projects/<str:key>/members/<str:username>/", views.MemberDetail.as_view(), name="member-detail"),
    path("projects/<str:key>/board/", board_api.BoardView.as_view(), name="project-board"),
    path("tickets/<str:ticket_key>/move/", board_api.TicketMoveView.as_view(), name="ticket-move"),
]

from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<str:key>/", views.project_hub, name="hub"),
    path("<str:key>/settings/", views.project_settings, name="settings"),
    path("<str:key>/delete/", views.project_delete, name="delete"),
    path("<str:key>/members/", views.project_members, name="members"),
    path("<str:key>/members/<int:membership_id>/role/", views.member_change_role, name="member_role"),
    path("<str:key>/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("<str:key>/board/", views.board, name="board"),
    path("<str:key>/board/new/", views.board_quick_create, name="board_quick_create"),
    path("<str:key>/board/summary/", views.board_summary, name="board_summary"),
    path("<str:key>/board/<slug:status>/more/", views.board_column_more, name="board_more"),
    path("<str:key>/live/", views.project_live, name="live"),
]

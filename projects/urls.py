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
]

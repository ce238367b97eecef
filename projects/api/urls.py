from django.urls import path

from . import views

urlpatterns = [
    path("projects/", views.ProjectListCreate.as_view(), name="project-list"),
    path("projects/<str:key>/", views.ProjectDetail.as_view(), name="project-detail"),
    path("projects/<str:key>/members/", views.MemberListCreate.as_view(), name="member-list"),
    path("projects/<str:key>/members/<str:username>/", views.MemberDetail.as_view(), name="member-detail"),
]

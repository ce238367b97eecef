from django.urls import path

from . import views

urlpatterns = [
    path("projects/<str:key>/docs/", views.DocListCreate.as_view(), name="doc-list"),
    path("projects/<str:key>/docs/<slug:slug>/", views.DocDetail.as_view(), name="doc-detail"),
    path("projects/<str:key>/docs/<slug:slug>/revisions/", views.DocRevisionList.as_view(), name="doc-revisions"),
    path(
        "projects/<str:key>/docs/<slug:slug>/revisions/<int:version>/",
        views.DocRevisionDetail.as_view(),
        name="doc-revision-detail",
    ),
    path(
        "projects/<str:key>/docs/<slug:slug>/revisions/<int:version>/restore/",
        views.DocRevisionRestore.as_view(),
        name="doc-revision-restore",
    ),
    path("projects/<str:key>/docs-trash/", views.DocTrashList.as_view(), name="doc-trash"),
    path(
        "projects/<str:key>/docs-trash/<int:doc_id>/restore/", views.DocTrashRestore.as_view(), name="doc-trash-restore"
    ),
    path("projects/<str:key>/doc-templates/", views.DocTemplateList.as_view(), name="doc-templates"),
    path("projects/<str:key>/status-reports/", views.StatusReportListCreate.as_view(), name="status-reports"),
    path("search/", views.Search.as_view(), name="search-api"),
]

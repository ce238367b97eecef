from django.urls import path

from . import attachments, views

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
    path("projects/<str:key>/docs-preview/", views.DocPreview.as_view(), name="doc-preview"),
    path("projects/<str:key>/docs-trash/", views.DocTrashList.as_view(), name="doc-trash"),
    path(
        "projects/<str:key>/docs-trash/<int:doc_id>/restore/", views.DocTrashRestore.as_view(), name="doc-trash-restore"
    ),
    path("projects/<str:key>/docs-trash/<int:doc_id>/", views.DocTrashPurge.as_view(), name="doc-trash-purge"),
    path("projects/<str:key>/doc-templates/", views.DocTemplateList.as_view(), name="doc-templates"),
    path(
        "projects/<str:key>/doc-templates/<slug:template_slug>/",
        views.DocTemplateDetail.as_view(),
        name="doc-template-detail",
    ),
    path(
        "projects/<str:key>/docs/<slug:slug>/attachments/",
        attachments.AttachmentListCreate.as_view(),
        name="doc-attachments",
    ),
    path(
        "projects/<str:key>/docs/<slug:slug>/attachments/<int:attachment_id>/",
        attachments.AttachmentDetail.as_view(),
        name="doc-attachment-detail",
    ),
    path(
        "projects/<str:key>/docs/<slug:slug>/attachments/<int:attachment_id>/content/",
        attachments.AttachmentContent.as_view(),
        name="doc-attachment-content",
    ),
    path("projects/<str:key>/status-reports/", views.StatusReportListCreate.as_view(), name="status-reports"),
    path("search/", views.Search.as_view(), name="search-api"),
]

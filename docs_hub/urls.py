from django.urls import path

from . import views

app_name = "docs_hub"

# Fixed paths first: their names are reserved slugs (models.RESERVED_SLUGS).
urlpatterns = [
    path("", views.doc_index, name="index"),
    path("new/", views.doc_create, name="create"),
    path("preview/", views.doc_preview, name="preview"),
    path("trash/", views.doc_trash, name="trash"),
    path("trash/<int:doc_id>/restore/", views.doc_restore, name="restore"),
    path("trash/<int:doc_id>/purge/", views.doc_purge, name="purge"),
    path("templates/", views.doc_templates, name="templates"),
    path("templates/<int:template_id>/delete/", views.doc_template_delete, name="template_delete"),
    path("export.zip", views.docs_export_all, name="export_all"),
    path("attachments/<int:attachment_id>/<str:filename>", views.attachment_download, name="attachment"),
    path("ticket-panel/<str:ticket_key>/", views.ticket_panel, name="ticket_panel"),
    path("hub-section/", views.hub_section, name="hub_section"),
    path("tree/shift/", views.doc_shift, name="shift"),
    path("reports/section/", views.reports_section, name="reports_section"),
    path("reports/generate/", views.report_generate, name="report_generate"),
    path("<slug:slug>/", views.doc_detail, name="detail"),
    path("<slug:slug>/edit/", views.doc_edit, name="edit"),
    path("<slug:slug>/history/", views.doc_history, name="history"),
    path("<slug:slug>/history/<int:version>/", views.doc_revision, name="revision"),
    path("<slug:slug>/history/<int:version>/restore/", views.doc_revision_restore, name="revision_restore"),
    path("<slug:slug>/diff/", views.doc_diff, name="diff"),
    path("<slug:slug>/move/", views.doc_move, name="move"),
    path("<slug:slug>/delete/", views.doc_delete, name="delete"),
    path("<slug:slug>/attachments/", views.attachment_upload, name="attachments"),
    path("<slug:slug>/attachments/<int:attachment_id>/delete/", views.attachment_delete, name="attachment_delete"),
    path("<slug:slug>/export.md", views.doc_export_markdown, name="export_md"),
    path("<slug:slug>/export.zip", views.doc_export_tree, name="export_tree"),
]

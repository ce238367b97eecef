from django.contrib import admin

from .models import Doc, DocAttachment, DocLink, DocRevision, DocSlugAlias, DocTemplate, DocTicketLink, StatusReport


@admin.register(Doc)
class DocAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "slug", "version", "updated_at", "deleted_at"]
    list_filter = ["project"]
    search_fields = ["title", "slug"]
    readonly_fields = ["body_html", "toc_html", "macros", "version"]


@admin.register(DocRevision)
class DocRevisionAdmin(admin.ModelAdmin):
    list_display = ["doc", "version", "author", "created_at", "message"]
    list_select_related = ["doc", "author"]


@admin.register(DocTemplate)
class DocTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "slug"]


@admin.register(DocAttachment)
class DocAttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "doc", "content_type", "size", "created_at"]


@admin.register(DocSlugAlias)
class DocSlugAliasAdmin(admin.ModelAdmin):
    list_display = ["slug", "doc", "project", "created_at"]
    raw_id_fields = ["doc"]
    search_fields = ["slug", "title"]


@admin.register(DocLink)
class DocLinkAdmin(admin.ModelAdmin):
    list_display = ["source", "target_text", "target"]
    raw_id_fields = ["source", "target"]


@admin.register(DocTicketLink)
class DocTicketLinkAdmin(admin.ModelAdmin):
    list_display = ["doc", "ticket_key"]
    raw_id_fields = ["doc"]
    search_fields = ["ticket_key"]


@admin.register(StatusReport)
class StatusReportAdmin(admin.ModelAdmin):
    list_display = ["project", "period", "trigger", "generated_at", "doc"]
    list_filter = ["trigger"]
    raw_id_fields = ["project", "doc", "created_by"]
    readonly_fields = ["figures"]

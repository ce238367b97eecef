from django.contrib import admin

from .models import Doc, DocAttachment, DocRevision, DocTemplate


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

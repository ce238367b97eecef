from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are made by uploads and advanced by their Celery task."""

    list_display = ("id", "kind", "status", "project", "file_name", "processed", "total", "created_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("file_name", "project__key", "created_by__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

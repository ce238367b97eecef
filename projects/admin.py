from django.contrib import admin

from .models import (
    Comment,
    CustomField,
    ExitCriterion,
    Label,
    Membership,
    Milestone,
    Notification,
    PhaseTransition,
    Project,
    ProjectTemplate,
    Risk,
    SavedView,
    Sprint,
    Ticket,
    TicketEvent,
    TicketRelation,
    WorkflowStatus,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


class WorkflowStatusInline(admin.TabularInline):
    model = WorkflowStatus
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "phase", "board_mode", "created_at")
    search_fields = ("key", "name")
    list_filter = ("phase", "board_mode")
    inlines = [MembershipInline, WorkflowStatusInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("project", "user", "role")
    list_filter = ("role",)
    search_fields = ("project__key", "user__username")
    autocomplete_fields = ("project", "user")


@admin.register(WorkflowStatus)
class WorkflowStatusAdmin(admin.ModelAdmin):
    list_display = ("project", "name", "slug", "position", "is_finished", "wip_limit")
    list_filter = ("is_finished",)


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("project", "name", "color")
    search_fields = ("name",)


@admin.register(Sprint)
class SprintAdmin(admin.ModelAdmin):
    list_display = ("project", "name", "state", "start_date", "end_date", "capacity")
    list_filter = ("state",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "type", "status", "priority", "assignee", "sprint")
    list_filter = ("type", "priority")
    search_fields = ("key", "title")
    raw_id_fields = ("parent", "sprint", "assignee", "reporter")


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "field", "actor", "created_at")
    list_filter = ("kind",)
    search_fields = ("ticket__key", "field")
    raw_id_fields = ("ticket", "actor")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("ticket", "author", "created_at")
    search_fields = ("ticket__key", "body")
    raw_id_fields = ("ticket", "author")


@admin.register(TicketRelation)
class TicketRelationAdmin(admin.ModelAdmin):
    list_display = ("source", "kind", "target", "created_at")
    raw_id_fields = ("source", "target", "created_by")


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ("project", "name", "key", "field_type", "show_on_card")
    list_filter = ("field_type",)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("project", "name", "owner", "shared")
    raw_id_fields = ("owner",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "ticket", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "actor", "ticket", "comment")


@admin.register(Risk)
class RiskAdmin(admin.ModelAdmin):
    list_display = ("project", "title", "likelihood", "impact", "status", "owner", "review_date")
    list_filter = ("status",)
    search_fields = ("title", "project__key")
    raw_id_fields = ("project", "owner", "created_by", "tickets")
    readonly_fields = ("description_html", "version", "closed_at")


@admin.register(ProjectTemplate)
class ProjectTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "source_project", "shared", "created_by", "created_at")
    list_filter = ("shared",)
    search_fields = ("name",)
    raw_id_fields = ("source_project", "created_by")


@admin.register(ExitCriterion)
class ExitCriterionAdmin(admin.ModelAdmin):
    list_display = ("project", "phase", "text", "done", "done_by", "done_at")
    list_filter = ("phase", "done")
    search_fields = ("text", "project__key")
    raw_id_fields = ("project", "done_by")


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(admin.ModelAdmin):
    list_display = ("project", "from_phase", "to_phase", "actor", "overridden", "created_at")
    list_filter = ("overridden",)
    raw_id_fields = ("project", "actor")
    readonly_fields = ("checklist",)


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ("project", "name", "due_date", "completed_at")
    search_fields = ("name", "project__key")
    raw_id_fields = ("project", "created_by", "epics")
    readonly_fields = ("description_html", "version")

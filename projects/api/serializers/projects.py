"""Serializers of the projects API: projects and memberships."""

from rest_framework import serializers

from aihub.api import ClockTimeField

from ...health import THRESHOLD_FIELDS
from ...models import (
    PROJECT_KEY_PATTERN,
    STATUS_REPORT_SETTINGS,
    BoardMode,
    Membership,
    Phase,
    Project,
    Role,
    Weekday,
    project_key_validator,
)


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="user_role", read_only=True, default=None)
    status_report_time = ClockTimeField(
        required=False, help_text="When the weekly status report is written: hours and minutes, in UTC, e.g. 09:00."
    )

    class Meta:
        model = Project
        fields = (
            "key",
            "name",
            "description",
            "description_html",
            "objectives",
            "phase",
            "board_mode",
            *STATUS_REPORT_SETTINGS,
            *THRESHOLD_FIELDS,
            "role",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("description_html", "created_at", "updated_at")


class ProjectCreateSerializer(serializers.Serializer):
    key = serializers.RegexField(
        rf"^{PROJECT_KEY_PATTERN}$",
        max_length=10,
        error_messages={"invalid": project_key_validator.message},
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    objectives = serializers.CharField(required=False, allow_blank=True, default="")
    phase = serializers.ChoiceField(choices=Phase.choices, required=False, default=Phase.DEFINE)
    board_mode = serializers.ChoiceField(choices=BoardMode.choices, required=False, default=BoardMode.SCRUM)
    template = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="A template id from GET /api/v1/project-templates/ (e.g. `ml-model`): the project comes with "
        "its workflow, labels, epics, starter tickets, docs, targets and exit criteria.",
    )


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    objectives = serializers.CharField(required=False, allow_blank=True)
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    board_mode = serializers.ChoiceField(choices=BoardMode.choices, required=False)
    # Health thresholds and the forecast's history window (projects/health.py; see the settings page).
    health_burndown_behind_pct = serializers.IntegerField(required=False, min_value=1, max_value=100)
    health_blocked_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    health_target_days = serializers.IntegerField(required=False, min_value=0, max_value=365)
    health_high_risks_off_track = serializers.IntegerField(required=False, min_value=1, max_value=100)
    health_sync_stale_hours = serializers.IntegerField(required=False, min_value=1, max_value=720)
    forecast_weeks = serializers.IntegerField(required=False, min_value=2, max_value=52)
    # The weekly status report: on or off, the weekday (0 = Monday) and the time, UTC.
    status_report_enabled = serializers.BooleanField(required=False)
    status_report_weekday = serializers.ChoiceField(choices=Weekday.choices, required=False)
    status_report_time = ClockTimeField(required=False)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.label", read_only=True)

    class Meta:
        model = Membership
        fields = ("username", "display_name", "role", "created_at")


class MembershipCreateSerializer(serializers.Serializer):
    username = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=150, help_text="An existing user's username…"
    )
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        default="",
        help_text="…or an e-mail address: an unknown address gets an account and an invitation e-mail.",
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)

"""Serializers of the projects API: projects and memberships."""

from rest_framework import serializers

from ...models import PROJECT_KEY_PATTERN, BoardMode, Membership, Phase, Project, Role, project_key_validator


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="user_role", read_only=True, default=None)

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


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    objectives = serializers.CharField(required=False, allow_blank=True)
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    board_mode = serializers.ChoiceField(choices=BoardMode.choices, required=False)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.label", read_only=True)

    class Meta:
        model = Membership
        fields = ("username", "display_name", "role", "created_at")


class MembershipCreateSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)

"""Serializers of the planning API: custom fields, workflow statuses, saved views, relations."""

from rest_framework import serializers

from ...models import CustomField, CustomFieldType, SavedView, WorkflowStatus
from ...services.relations import RELATION_CHOICES


class CustomFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomField
        fields = ("key", "name", "field_type", "options", "position", "show_on_card")
        read_only_fields = ("position",)


class CustomFieldWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    key = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    field_type = serializers.ChoiceField(choices=CustomFieldType.choices)
    options = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    show_on_card = serializers.BooleanField(required=False, default=False)


class CustomFieldPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    options = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    show_on_card = serializers.BooleanField(required=False)


class StatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowStatus
        fields = ("slug", "name", "position", "is_finished", "wip_limit")
        read_only_fields = ("position",)


class StatusWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    slug = serializers.SlugField(max_length=40, required=False, allow_blank=True, default="")
    is_finished = serializers.BooleanField(required=False, default=False)
    wip_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)


class StatusPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    is_finished = serializers.BooleanField(required=False)
    wip_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    position = serializers.IntegerField(required=False, min_value=0, help_text="The new place, 0 first.")


class SavedViewSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = SavedView
        fields = ("id", "name", "filters", "shared", "owner", "created_at")
        read_only_fields = ("id", "owner", "created_at")


class RelationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=RELATION_CHOICES, help_text="As seen from this ticket.")
    ticket = serializers.CharField(help_text="The other ticket's key.")
    title = serializers.CharField(read_only=True)

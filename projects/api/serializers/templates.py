"""Serializers of project templates (saving one) and the portfolio (read only)."""

from rest_framework import serializers


class ProjectTemplateSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`ml-model` for the built-in ML template; a saved template's number.")
    name = serializers.CharField()
    description = serializers.CharField()
    builtin = serializers.BooleanField()


class ProjectTemplateSaveSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    shared = serializers.BooleanField(required=False, default=False, help_text="Everyone on the instance (staff only).")


class _ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class _HealthSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="on_track, at_risk or off_track.")
    reasons = _ReasonSerializer(many=True)


class _SprintProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    end_date = serializers.DateField()
    committed = serializers.IntegerField(help_text="Story points committed.")
    done = serializers.IntegerField(help_text="Story points finished.")
    ticket_count = serializers.IntegerField()
    done_count = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Done, in points (in tickets when nothing is estimated).")
    unit = serializers.ChoiceField(choices=["points", "tickets"])


class _PrimaryTargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    direction = serializers.CharField(help_text="higher or lower (is better).")
    target = serializers.FloatField()
    best_value = serializers.FloatField(allow_null=True)
    gap = serializers.FloatField(allow_null=True)
    met = serializers.BooleanField()


class _MilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    due_date = serializers.DateField()


class PortfolioRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    phase = serializers.CharField()
    role = serializers.CharField()
    health = _HealthSerializer()
    top_reason = _ReasonSerializer(allow_null=True)
    sprint = _SprintProgressSerializer(allow_null=True)
    primary_target = _PrimaryTargetSerializer(allow_null=True)
    next_milestone = _MilestoneSerializer(allow_null=True)

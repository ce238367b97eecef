"""Serializers of the sprints API: sprints, their writes, start and complete, burndown."""

from rest_framework import serializers

from ... import services
from ...models import Sprint


class SprintSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.key", read_only=True)
    committed_points = serializers.IntegerField(read_only=True, default=None, allow_null=True)
    done_points = serializers.IntegerField(read_only=True, default=None, allow_null=True)
    ticket_count = serializers.IntegerField(read_only=True, default=None, allow_null=True)

    class Meta:
        model = Sprint
        fields = (
            "id",
            "project",
            "name",
            "goal",
            "start_date",
            "end_date",
            "capacity",
            "state",
            "started_at",
            "completed_at",
            "committed_points",
            "done_points",
            "ticket_count",
            "created_at",
        )
        read_only_fields = fields


class SprintCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    goal = serializers.CharField(required=False, allow_blank=True, default="")
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    capacity = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)


class SprintCompleteSerializer(serializers.Serializer):
    move_open_to = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A sprint id for unfinished tickets; null: the backlog.",
    )


class BurndownPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    remaining_points = serializers.FloatField()


class BurndownSerializer(serializers.Serializer):
    days = BurndownPointSerializer(many=True)
    ideal = BurndownPointSerializer(many=True)
    committed_points = serializers.IntegerField()


class SprintStartSerializer(serializers.Serializer):
    dates = serializers.ChoiceField(
        choices=services.sprints.StartDates.CHOICES,
        required=False,
        default=services.sprints.StartDates.PLANNED,
        help_text='"planned" keeps the planned dates; "today" sets the start date to today and keeps the end '
        'date; "today_shift" also moves the end date to keep the length. The burndown always begins '
        "at the actual start (started_at).",
    )

"""The dashboard API's answer: health with its reasons, targets with their best values,
the active sprint's progress and the forecast (shapes for the OpenAPI document; the values
come from `selectors.figures.dashboard_figures`)."""

from rest_framework import serializers


class HealthReasonSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="burndown_behind, blocked_tickets, high_risks, failing_gates, target_deadline, sync_failing, "
        "sync_stale (other apps may add more)."
    )
    message = serializers.CharField()
    severity = serializers.ChoiceField(choices=["at_risk", "off_track"])


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["on_track", "at_risk", "off_track"])
    reasons = HealthReasonSerializer(many=True)


class DashboardTargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    direction = serializers.CharField(help_text="higher or lower (is better).")
    target = serializers.FloatField()
    baseline = serializers.FloatField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    primary = serializers.BooleanField()
    best_value = serializers.FloatField(allow_null=True)
    best_run = serializers.CharField(allow_null=True, help_text="The MLflow run id holding the best value.")
    gap = serializers.FloatField(allow_null=True, help_text="Still to close; 0 or less once met.")
    met = serializers.BooleanField()


class SprintProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    goal = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    committed_points = serializers.IntegerField()
    added_points = serializers.IntegerField()
    removed_points = serializers.IntegerField()
    scope_points = serializers.IntegerField()
    completed_points = serializers.IntegerField()
    remaining_points = serializers.IntegerField()
    ideal_remaining_points = serializers.FloatField(help_text="Where the burndown's ideal line stands today.")
    days_left = serializers.IntegerField()


class ForecastHistorySerializer(serializers.Serializer):
    weeks = serializers.IntegerField(help_text="The project's setting: weeks of history asked for.")
    days = serializers.IntegerField(help_text="Days of history used (fewer for a younger project).")
    finished = serializers.IntegerField(help_text="Tickets finished in those days.")
    per_day = serializers.FloatField()
    to = serializers.DateField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields


class ForecastBarSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The last day of the bar.")
    days = serializers.IntegerField(help_text="Days from today to that day.")
    trials = serializers.IntegerField(help_text="Trials finished within the bar.")
    share = serializers.FloatField(help_text="Percentage of the trials in the bar.")
    cumulative = serializers.FloatField(help_text="Percentage of the trials finished by that day.")


class ForecastSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="False when there is too little history or nothing open.")
    message = serializers.CharField(help_text="Why there is no forecast (empty when there is one).")
    scope = serializers.ChoiceField(choices=["remaining", "epic", "tickets"])
    scope_label = serializers.CharField()
    epic = serializers.CharField(allow_null=True)
    tickets = serializers.ListField(child=serializers.CharField())
    remaining = serializers.IntegerField(help_text="Open tickets in the scope.")
    trials = serializers.IntegerField()
    seed = serializers.IntegerField()
    history = ForecastHistorySerializer()
    p50_date = serializers.DateField(allow_null=True)
    p85_date = serializers.DateField(allow_null=True)
    p50_days = serializers.IntegerField(allow_null=True)
    p85_days = serializers.IntegerField(allow_null=True)
    distribution = ForecastBarSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    health = HealthSerializer()
    targets = DashboardTargetSerializer(many=True)
    sprint = SprintProgressSerializer(allow_null=True)
    forecast = ForecastSerializer(allow_null=True)

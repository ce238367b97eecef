"""Serializers of the risk register's API: a risk as the API shows it, and its writes."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import RISK_SCALE, Risk, RiskStatus
from ...services.risks import MAX_RISK_TICKETS


class RiskSerializer(serializers.ModelSerializer):
    """A risk. `score` is likelihood x impact; `is_high` is score >= HIGH_RISK_SCORE (15);
    `review_overdue` is an open or mitigating risk whose review date has passed. Build it
    from selectors.risk_list rows (owner and tickets prefetched) with `today` in the context."""

    project = serializers.CharField(source="project.key", read_only=True)
    score = serializers.IntegerField(read_only=True)
    is_high = serializers.BooleanField(read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, default=None, allow_null=True)
    tickets = serializers.SerializerMethodField()
    review_overdue = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Risk
        fields = (
            "id",
            "project",
            "title",
            "description",
            "description_html",
            "likelihood",
            "impact",
            "score",
            "is_high",
            "owner",
            "mitigation",
            "status",
            "review_date",
            "review_overdue",
            "tickets",
            "version",
            "closed_at",
            "created_at",
            "updated_at",
            "url",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tickets(self, risk) -> list[str]:
        return [ticket.key for ticket in risk.tickets.all()]  # prefetched

    def get_review_overdue(self, risk) -> bool:
        return risk.review_overdue(self.context["today"])

    def get_url(self, risk) -> str:
        # The risk page URL around its id, reversed once per response.
        if "risk_url_parts" not in self.context:
            prefix, _, suffix = reverse(
                "projects:risk", kwargs={"key": risk.project.key, "risk_id": 999999999}
            ).partition("999999999")
            request = self.context.get("request")
            self.context["risk_url_parts"] = (request.build_absolute_uri(prefix) if request else prefix), suffix
        prefix, suffix = self.context["risk_url_parts"]
        return f"{prefix}{risk.pk}{suffix}"


class RiskWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    likelihood = serializers.IntegerField(min_value=RISK_SCALE[0], max_value=RISK_SCALE[-1], help_text="1 to 5.")
    impact = serializers.IntegerField(min_value=RISK_SCALE[0], max_value=RISK_SCALE[-1], help_text="1 to 5.")
    owner = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="A member's username, or null."
    )
    mitigation = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=RiskStatus.choices, required=False)
    review_date = serializers.DateField(required=False, allow_null=True)
    tickets = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        max_length=MAX_RISK_TICKETS,
        help_text="Keys of tickets of the same project (the whole set: it replaces the links).",
    )


class RiskPatchSerializer(RiskWriteSerializer):
    title = serializers.CharField(max_length=200, required=False)
    likelihood = serializers.IntegerField(
        min_value=RISK_SCALE[0], max_value=RISK_SCALE[-1], required=False, help_text="1 to 5."
    )
    impact = serializers.IntegerField(
        min_value=RISK_SCALE[0], max_value=RISK_SCALE[-1], required=False, help_text="1 to 5."
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version this change is based on; a stale one answers 409."
    )


def risk_json(risks, *, request, many=False):
    context = {"request": request, "today": timezone.localdate()}
    return RiskSerializer(risks, many=many, context=context).data

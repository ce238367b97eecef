"""Serializers of the lifecycle API: exit criteria, phase transitions and the phase advance,
milestones. Output serializers read rows the selectors prepared (no query per row)."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import ExitCriterion, Milestone, Phase, PhaseTransition
from ...services.lifecycle import CRITERION_TEXT_MAX, MAX_MILESTONE_EPICS, OVERRIDE_REASON_MAX


class ExitCriterionSerializer(serializers.ModelSerializer):
    """One item of a phase's exit checklist; `done_by` is the username of who ticked it."""

    project = serializers.CharField(source="project.key", read_only=True)
    done_by = serializers.CharField(source="done_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = ExitCriterion
        fields = ("id", "project", "phase", "text", "position", "done", "done_by", "done_at", "created_at")
        read_only_fields = fields


class ExitCriterionWriteSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    text = serializers.CharField(max_length=CRITERION_TEXT_MAX)


class ExitCriterionPatchSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=CRITERION_TEXT_MAX, required=False)
    done = serializers.BooleanField(required=False, help_text="Tick (true) or untick (false).")
    position = serializers.IntegerField(min_value=0, required=False, help_text="Its place in the checklist.")


class ChecklistItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phase = serializers.ChoiceField(choices=Phase.choices)
    text = serializers.CharField()
    done = serializers.BooleanField()
    done_by = serializers.CharField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)


class PhaseTransitionSerializer(serializers.ModelSerializer):
    """A phase change: who made it, when, the checklist of the phases it left as it stood,
    and whether (and why) it went past unticked criteria."""

    project = serializers.CharField(source="project.key", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)
    checklist = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = PhaseTransition
        fields = (
            "id",
            "project",
            "from_phase",
            "to_phase",
            "actor",
            "created_at",
            "checklist",
            "overridden",
            "override_reason",
        )
        read_only_fields = fields


class PhaseAdvanceSerializer(serializers.Serializer):
    to_phase = serializers.ChoiceField(
        choices=Phase.choices,
        required=False,
        allow_null=True,
        help_text="The phase to move to; the next phase when left out.",
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=OVERRIDE_REASON_MAX,
        help_text="Why to advance although exit criteria are unticked (refused with 400 without it).",
    )


class MilestoneSerializer(serializers.ModelSerializer):
    """A milestone. `epics` are the keys of its linked epics; `overdue` is an open
    milestone whose date has passed. Build it from selectors.milestone_list rows."""

    project = serializers.CharField(source="project.key", read_only=True)
    completed = serializers.BooleanField(read_only=True)
    overdue = serializers.SerializerMethodField()
    epics = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = (
            "id",
            "project",
            "name",
            "description",
            "description_html",
            "due_date",
            "completed",
            "completed_at",
            "overdue",
            "epics",
            "version",
            "created_at",
            "updated_at",
            "url",
        )
        read_only_fields = fields

    def get_overdue(self, milestone) -> bool:
        return milestone.overdue(self.context["today"])

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_epics(self, milestone) -> list[str]:
        return [epic.key for epic in milestone.epics.all()]  # prefetched

    def get_url(self, milestone) -> str:
        if "roadmap_url" not in self.context:
            url = reverse("projects:roadmap", kwargs={"key": milestone.project.key})
            request = self.context.get("request")
            self.context["roadmap_url"] = request.build_absolute_uri(url) if request else url
        return f"{self.context['roadmap_url']}#milestone-{milestone.pk}"


class MilestoneWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    due_date = serializers.DateField()
    epics = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        max_length=MAX_MILESTONE_EPICS,
        help_text="Keys of epics of the same project (the whole set: it replaces the links).",
    )
    completed = serializers.BooleanField(required=False)


class MilestonePatchSerializer(MilestoneWriteSerializer):
    name = serializers.CharField(max_length=120, required=False)
    due_date = serializers.DateField(required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version this change is based on; a stale one answers 409."
    )


def milestone_json(milestones, *, request, many=False):
    context = {"request": request, "today": timezone.localdate()}
    return MilestoneSerializer(milestones, many=many, context=context).data

"""Forms of the lifecycle: a phase's new exit criterion, the phase advance (with the reason
that overrides unticked criteria), and a milestone (create and edit share it; edit
carries the version it was based on)."""

from django import forms

from ..models import Phase
from ..services.lifecycle import CRITERION_TEXT_MAX, MAX_MILESTONE_EPICS, OVERRIDE_REASON_MAX


class ExitCriterionForm(forms.Form):
    phase = forms.ChoiceField(choices=Phase.choices, widget=forms.HiddenInput)
    text = forms.CharField(
        max_length=CRITERION_TEXT_MAX,
        label="New exit criterion",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "What must be true to leave the phase"}),
    )


class PhaseAdvanceForm(forms.Form):
    to_phase = forms.ChoiceField(choices=Phase.choices, widget=forms.HiddenInput)
    override_reason = forms.CharField(
        required=False,
        max_length=OVERRIDE_REASON_MAX,
        label="Reason to advance anyway",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed only while exit criteria are unticked; it is kept in the phase history.",
    )


class MilestoneForm(forms.Form):
    name = forms.CharField(max_length=120)
    due_date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown.")
    epics = forms.MultipleChoiceField(
        required=False,
        label="Linked epics",
        widget=forms.CheckboxSelectMultiple,
        help_text="The epics that must be done for this milestone.",
    )
    completed = forms.BooleanField(required=False, label="Completed")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, epics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["epics"].choices = epics
        if not epics:
            self.fields["epics"].help_text = "This project has no epics yet."

    def clean_epics(self) -> list[str]:
        keys = self.cleaned_data["epics"]
        if len(keys) > MAX_MILESTONE_EPICS:
            raise forms.ValidationError(f"A milestone links at most {MAX_MILESTONE_EPICS} epics.")
        return keys

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def milestone_initial(milestone) -> dict:
    return {
        "name": milestone.name,
        "due_date": milestone.due_date,
        "description": milestone.description,
        "epics": [epic.key for epic in milestone.epics.all()],
        "completed": milestone.completed,
        "version": milestone.version,
    }

"""Forms of the planning pages: the backlog (inline create, saved views), sprints, and the
workflow and custom-field settings."""

from django import forms

from ..models import CustomFieldType, TicketType


class InlineCreateForm(forms.Form):
    title = forms.CharField(
        max_length=255,
        label="New ticket",
        widget=forms.TextInput(attrs={"placeholder": "What needs doing? (Enter to add)", "autocomplete": "off"}),
    )
    type = forms.ChoiceField(choices=TicketType.choices, initial=TicketType.STORY)
    estimate = forms.IntegerField(
        min_value=0,
        max_value=1000,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": "pts", "class": "w-5"}),
    )


class SprintForm(forms.Form):
    name = forms.CharField(max_length=100)
    goal = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    capacity = forms.IntegerField(min_value=0, required=False, help_text="Story points the team can take.")


class SprintCompleteForm(forms.Form):
    move_open_to = forms.ChoiceField(label="Move unfinished tickets to", required=False)

    def __init__(self, *args, sprints, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_open_to"].choices = [("", "The backlog")] + [(str(s.pk), s.name) for s in sprints]


class StatusForm(forms.Form):
    name = forms.CharField(max_length=60)
    is_finished = forms.BooleanField(required=False, label="Counts as finished")
    wip_limit = forms.IntegerField(min_value=1, required=False, label="WIP limit")


class CustomFieldForm(forms.Form):
    name = forms.CharField(max_length=60)
    field_type = forms.ChoiceField(choices=CustomFieldType.choices, label="Type")
    options = forms.CharField(required=False, help_text="For selects: the choices, comma separated.")
    show_on_card = forms.BooleanField(required=False, label="Show on board cards")


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=80, label="View name")
    shared = forms.BooleanField(required=False, label="Share with the project")

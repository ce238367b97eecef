"""Forms of the board page (kept apart from forms.py, which the ticket pages grow)."""
from django import forms

from .models import Project, TicketType, WorkflowStatus


class QuickCreateForm(forms.Form):
    """The "new ticket" dialog of the board: a title, a column, a type."""

    title = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                         "placeholder": "What needs doing?"}))
    status = forms.ModelChoiceField(queryset=WorkflowStatus.objects.none(), label="Column", empty_label=None)
    type = forms.ChoiceField(choices=TicketType.choices, initial=TicketType.TASK)
    sprint = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].queryset = WorkflowStatus.objects.filter(project=project).order_by("position", "id")

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("A ticket needs a title.")
        return title

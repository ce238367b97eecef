"""Forms of the board page: the quick "new ticket" dialog."""

from django import forms

from ..models import Project, TicketType, WorkflowStatus


class QuickCreateForm(forms.Form):
    """The "new ticket" dialog of the board: a title, a column, a type."""

    title = forms.CharField(
        max_length=255, widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "What needs doing?"})
    )
    status = forms.TypedChoiceField(coerce=int, label="Column")
    type = forms.ChoiceField(choices=TicketType.choices, initial=TicketType.TASK)
    sprint = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, project: Project, columns=None, **kwargs):
        """`columns`: the board's columns (anything with `id` and `name`), when the page
        already has them; otherwise the project's workflow is read."""
        super().__init__(*args, **kwargs)
        self.project = project
        if columns is None:
            choices = list(
                WorkflowStatus.objects.filter(project=project).order_by("position", "id").values_list("id", "name")
            )
        else:
            choices = [(column.id, column.name) for column in columns]
        self.fields["status"].choices = choices

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("A ticket needs a title.")
        return title

    def clean_status(self):
        status = WorkflowStatus.objects.filter(project=self.project, pk=self.cleaned_data["status"]).first()
        if status is None:
            raise forms.ValidationError("Choose a column of this board.")
        return status

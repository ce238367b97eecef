"""Forms of the project pages: create, settings, members (invite, role)."""

from django import forms

from ..health import THRESHOLD_FIELDS
from ..models import STATUS_REPORT_SETTINGS, Phase, Project, Role


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ("key", "name", "description", "objectives", "phase", "board_mode")
        widgets = {
            "key": forms.TextInput(attrs={"placeholder": "CV", "autocomplete": "off", "class": "uppercase"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "key": "2 to 10 capital letters or digits, starting with a letter. Tickets are numbered KEY-1, KEY-2, …",
        }

    template = forms.ChoiceField(
        label="Start from",
        required=False,
        widget=forms.RadioSelect,
        help_text="A template brings its workflow, labels, epics with starter tickets, docs, targets and exit "
        "criteria. Your own work is never copied into a template, only its structure.",
    )

    field_order = ("template", "key", "name", "description", "objectives", "phase", "board_mode")

    def __init__(self, *args, templates: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = templates or []
        self.fields["template"].choices = [("", "Empty project"), *((t["id"], t["name"]) for t in self.templates)]

    def clean_key(self):
        return (self.cleaned_data.get("key") or "").strip().upper()

    def validate_unique(self):
        # The service reports a taken key with its own message.
        pass


class ProjectSettingsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = (
            "name",
            "description",
            "objectives",
            "phase",
            "board_mode",
            *STATUS_REPORT_SETTINGS,
            *THRESHOLD_FIELDS,
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "objectives": forms.Textarea(attrs={"rows": 5}),
            "status_report_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


class SaveTemplateForm(forms.Form):
    name = forms.CharField(max_length=120, label="Template name")
    description = forms.CharField(max_length=300, required=False)
    shared = forms.BooleanField(required=False, label="Share with everyone on this instance", help_text="Staff only.")


class InviteForm(forms.Form):
    username = forms.CharField(required=False, help_text="An existing user…")
    email = forms.EmailField(required=False, help_text="…or an e-mail address to invite.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def clean(self):
        data = super().clean()
        if not data.get("username") and not data.get("email"):
            raise forms.ValidationError("Give a username or an e-mail address.")
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


PHASES = Phase.choices

"""Forms of the ticket page and the full "new ticket" form: in-place field editors, comments,
relations, sub-tasks. They check shape; services check rules."""

import datetime

from django import forms

from ..models import CustomFieldType, Priority, SprintState, TicketType
from ..services.relations import RELATION_CHOICES


def _member_choices(members, blank="Unassigned"):
    return [("", blank)] + [(u.username, f"{u.label} (@{u.username})") for u in members]


class TicketForm(forms.Form):
    """The full "new ticket" form."""

    title = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))
    type = forms.ChoiceField(choices=TicketType.choices, initial=TicketType.STORY)
    status = forms.ChoiceField(choices=())
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.MEDIUM)
    assignee = forms.ChoiceField(choices=(), required=False)
    estimate = forms.IntegerField(min_value=0, max_value=1000, required=False, help_text="Story points.")
    sprint = forms.ChoiceField(choices=(), required=False)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    parent = forms.CharField(required=False, max_length=24, help_text="An epic or parent ticket key, e.g. CV-3.")
    labels = forms.CharField(required=False, help_text="Comma separated; new labels are created.")
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown. Ticket keys such as CV-12 become links.",
    )
    acceptance_criteria = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown checklist, e.g. “- [ ] recall ≥ 0.95 on line-3”.",
    )

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.slug, s.name) for s in choices["statuses"]]
        self.fields["assignee"].choices = _member_choices(choices["members"])
        self.fields["sprint"].choices = [("", "Backlog (no sprint)")] + [
            (str(s.pk), f"{s.name}{' (active)' if s.state == SprintState.ACTIVE else ''}") for s in choices["sprints"]
        ]
        self.custom_fields = choices["custom_fields"]
        for field in self.custom_fields:
            self.fields[f"cf_{field.key}"] = custom_form_field(field)

    def service_data(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in (
                "title",
                "type",
                "status",
                "priority",
                "estimate",
                "due_date",
                "description",
                "acceptance_criteria",
            )
        }
        data["assignee"] = self.cleaned_data["assignee"] or None
        data["sprint"] = int(self.cleaned_data["sprint"]) if self.cleaned_data["sprint"] else None
        data["parent"] = self.cleaned_data["parent"].strip().upper() or None
        data["labels"] = [n.strip() for n in self.cleaned_data["labels"].split(",") if n.strip()]
        data["custom_fields"] = {f.key: self.cleaned_data.get(f"cf_{f.key}") for f in self.custom_fields}
        return data


def custom_form_field(field) -> forms.Field:
    kind = field.field_type
    common = {"label": field.name, "required": False}
    if kind == CustomFieldType.NUMBER:
        return forms.DecimalField(**common)
    if kind == CustomFieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == CustomFieldType.SELECT:
        return forms.ChoiceField(choices=[("", "—")] + [(o, o) for o in field.options], **common)
    if kind == CustomFieldType.MULTI_SELECT:
        return forms.MultipleChoiceField(
            choices=[(o, o) for o in field.options], widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == CustomFieldType.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == CustomFieldType.URL:
        return forms.URLField(assume_scheme="https", **common)
    return forms.CharField(max_length=2000, **common)


def field_edit_form(name: str, *, choices: dict, data=None, initial=None) -> forms.Form:
    """A one-field form for editing `name` in place on the ticket page, with the version
    the editor started from."""
    fields: dict[str, forms.Field] = {"version": forms.IntegerField(widget=forms.HiddenInput)}
    if name == "title":
        fields["value"] = forms.CharField(max_length=255, label="Title")
    elif name in ("description", "acceptance_criteria"):
        fields["value"] = forms.CharField(
            required=False,
            widget=forms.Textarea(attrs={"rows": 10}),
            label=name.replace("_", " ").capitalize(),
            help_text="Markdown.",
        )
    elif name == "status":
        fields["value"] = forms.ChoiceField(choices=[(s.slug, s.name) for s in choices["statuses"]], label="Status")
        if choices.get("can_admin"):
            fields["override_reason"] = forms.CharField(
                required=False,
                label="Override reason (admins)",
                help_text="Only needed when a finish check refuses the move.",
            )
    elif name == "type":
        fields["value"] = forms.ChoiceField(choices=TicketType.choices, label="Type")
    elif name == "priority":
        fields["value"] = forms.ChoiceField(choices=Priority.choices, label="Priority")
    elif name == "assignee":
        fields["value"] = forms.ChoiceField(
            choices=_member_choices(choices["members"]), required=False, label="Assignee"
        )
    elif name == "estimate":
        fields["value"] = forms.IntegerField(min_value=0, max_value=1000, required=False, label="Estimate (points)")
    elif name == "sprint":
        fields["value"] = forms.ChoiceField(
            choices=[("", "Backlog (no sprint)")] + [(str(s.pk), s.name) for s in choices["sprints"]],
            required=False,
            label="Sprint",
        )
    elif name == "due_date":
        fields["value"] = forms.DateField(
            required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due date"
        )
    elif name == "parent":
        fields["value"] = forms.CharField(
            required=False, max_length=24, label="Parent", help_text="A ticket key, e.g. CV-3; empty for none."
        )
    elif name == "labels":
        fields["value"] = forms.CharField(required=False, label="Labels", help_text="Comma separated.")
    elif name.startswith("cf_"):
        definition = next((f for f in choices["custom_fields"] if f"cf_{f.key}" == name), None)
        if definition is None:
            raise KeyError(name)
        fields["value"] = custom_form_field(definition)
    else:
        raise KeyError(name)
    fields["value"].widget.attrs.setdefault("autofocus", True)  # htmx focuses it when the editor opens
    form_class = type("FieldEditForm", (forms.Form,), fields)
    return form_class(data=data, initial=initial, prefix=name)


def field_service_kwargs(name: str, value) -> dict:
    """What ticket_update takes for an in-place edit of `name`."""
    if name == "sprint":
        return {"sprint": int(value) if value else None}
    if name == "parent":
        return {"parent": (value or "").strip().upper() or None}
    if name == "assignee":
        return {"assignee": value or None}
    if name == "labels":
        return {"labels": [n.strip() for n in (value or "").split(",") if n.strip()]}
    if name.startswith("cf_"):
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (bool, list, str)):
            value = str(value)
        return {"custom_fields": {name[3:]: value if value not in ("", []) else None}}
    return {name: value}


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Comment in Markdown; @mention teammates"}),
        label="Comment",
    )


class RelationForm(forms.Form):
    kind = forms.ChoiceField(choices=RELATION_CHOICES, label="This ticket")
    other = forms.CharField(max_length=24, label="Ticket", widget=forms.TextInput(attrs={"placeholder": "CV-12"}))


class SubtaskForm(forms.Form):
    title = forms.CharField(
        max_length=255,
        label="New sub-task",
        widget=forms.TextInput(attrs={"placeholder": "Sub-task title", "autocomplete": "off"}),
    )

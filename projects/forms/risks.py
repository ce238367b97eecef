"""The risk register's form: create and edit share it (edit carries the version it was
based on, so a stale save is refused and shown with both versions)."""

from django import forms

from ..models import RISK_SCALE, RiskStatus
from ..services.risks import MAX_RISK_TICKETS

LIKELIHOOD_CHOICES = [
    (1, "1 · Rare"),
    (2, "2 · Unlikely"),
    (3, "3 · Possible"),
    (4, "4 · Likely"),
    (5, "5 · Almost certain"),
]
IMPACT_CHOICES = [
    (1, "1 · Negligible"),
    (2, "2 · Minor"),
    (3, "3 · Moderate"),
    (4, "4 · Major"),
    (5, "5 · Severe"),
]
assert [value for value, _ in LIKELIHOOD_CHOICES] == list(RISK_SCALE) == [value for value, _ in IMPACT_CHOICES]


class RiskForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown: what could happen, and why."
    )
    likelihood = forms.TypedChoiceField(choices=LIKELIHOOD_CHOICES, coerce=int, initial=3)
    impact = forms.TypedChoiceField(choices=IMPACT_CHOICES, coerce=int, initial=3)
    owner = forms.ChoiceField(required=False, help_text="The member who watches this risk.")
    mitigation = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="What the team does about it."
    )
    status = forms.ChoiceField(choices=RiskStatus.choices, initial=RiskStatus.OPEN)
    review_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tickets = forms.CharField(
        required=False,
        label="Linked tickets",
        help_text="Ticket keys, comma separated (e.g. CV-12, CV-14).",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Nobody yet")] + [(m.user.username, m.user.label) for m in members]

    def clean_tickets(self) -> list[str]:
        keys = [k.strip() for k in self.cleaned_data["tickets"].replace(";", ",").split(",") if k.strip()]
        if len(keys) > MAX_RISK_TICKETS:
            raise forms.ValidationError(f"A risk links at most {MAX_RISK_TICKETS} tickets.")
        return list(dict.fromkeys(keys))

    def service_data(self) -> dict:
        """The service's keywords: the owner as a username (None for nobody)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        data["owner"] = data["owner"] or None
        return data


def risk_initial(risk) -> dict:
    """The form's values for an existing risk."""
    return {
        "title": risk.title,
        "description": risk.description,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "owner": risk.owner.username if risk.owner else "",
        "mitigation": risk.mitigation,
        "status": risk.status,
        "review_date": risk.review_date,
        "tickets": ", ".join(t.key for t in risk.tickets.all()),
        "version": risk.version,
    }

from django import forms

from .models import MetricGate, Sentinel, Target


class SourceForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="A label, e.g. “Team MLflow”.")
    tracking_uri = forms.CharField(
        max_length=500,
        label="Tracking URI",
        help_text="e.g. http://mlflow:5000 (the server must be reachable from the workers).",
    )
    experiment_names = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Experiments to follow",
        help_text="MLflow experiment names, one per line or comma separated.",
    )
    username = forms.CharField(
        max_length=200, required=False, help_text="For HTTP basic auth; leave blank for a token."
    )
    secret = forms.CharField(
        max_length=2000,
        required=False,
        label="Password or token",
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted. Leave blank to keep the stored one.",
    )
    credentials_from_env = forms.BooleanField(
        required=False, label="Take credentials from the workers' environment (MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN)"
    )
    fast_interval_seconds = forms.IntegerField(
        min_value=60, max_value=86400, initial=300, label="Fast loop every (seconds)"
    )
    reconcile_interval_seconds = forms.IntegerField(
        min_value=300, max_value=7 * 86400, initial=3600, label="Full reconcile every (seconds)"
    )

    def clean_experiment_names(self):
        return [n.strip() for n in self.cleaned_data["experiment_names"].replace("\n", ",").split(",") if n.strip()]


class LinkRunForm(forms.Form):
    run_id = forms.CharField(max_length=64, label="Run id")


class LinkTicketForm(forms.Form):
    ticket_key = forms.CharField(max_length=24, label="Ticket key", help_text="e.g. CV-12")


class GateForm(forms.Form):
    metric = forms.CharField(max_length=250, widget=forms.TextInput(attrs={"placeholder": "val_f1"}))
    op = forms.ChoiceField(choices=MetricGate.Op.choices, label="Operator")
    threshold = forms.FloatField(widget=forms.NumberInput(attrs={"step": "any", "placeholder": "0.90"}))


class SentinelForm(forms.ModelForm):
    class Meta:
        model = Sentinel
        fields = ["champion_kind", "model_name", "alias", "champion_run_id", "metric", "higher_is_better", "tolerance"]
        help_texts = {
            "model_name": "The registered model whose alias names the champion.",
            "tolerance": "How far below the champion a run may fall before it is flagged.",
        }


class RunColumnsForm(forms.Form):
    """The runs table's column chooser: the keys offered are those the experiment's runs have."""

    metrics = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Metrics")
    params = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Parameters")

    def __init__(self, *args, keys: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metrics"].choices = [(k, k) for k in keys["metrics"]]
        self.fields["params"].choices = [(k, k) for k in keys["params"]]


class TargetForm(forms.Form):
    """A target's fields; the rules (finite numbers, one target per metric, one primary) are
    the service's."""

    metric = forms.CharField(
        max_length=250, label="MLflow metric", widget=forms.TextInput(attrs={"placeholder": "val_f1"})
    )
    direction = forms.ChoiceField(choices=Target.Direction.choices, initial=Target.Direction.HIGHER)
    target = forms.FloatField(label="Target value", widget=forms.NumberInput(attrs={"step": "any"}))
    baseline = forms.FloatField(
        required=False,
        help_text="Where the project started, if known.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    deadline = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    primary = forms.BooleanField(required=False, label="Primary target (replaces the current one)")


class TargetGateForm(forms.Form):
    ticket = forms.CharField(
        max_length=24, label="Ticket or epic", help_text="Its key, e.g. CV-12.", widget=forms.TextInput()
    )

from django import forms

from .models import Doc


class DocForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 22, "class": "doc-editor-text"}),
        help_text="Markdown. <code>[[Page title]]</code> links a page, <code>CV-12</code> a ticket, "
        "<code>{{ticket:CV-12}}</code> and <code>{{run:RUN_ID metric:val_f1}}</code> "
        "show live values.",
    )
    message = forms.CharField(
        max_length=300, required=False, label="What changed", help_text="Optional note for the history."
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DocCreateForm(DocForm):
    parent = forms.ModelChoiceField(
        queryset=Doc.objects.none(), required=False, empty_label="(top level)", to_field_name="slug"
    )
    template = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args, project=None, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            Doc.objects.filter(project=project, deleted_at__isnull=True).order_by("title").only("id", "title", "slug")
        )
        self.fields["template"].choices = [("", "Blank page")] + [(t["slug"], t["name"]) for t in templates]
        self.order_fields(["title", "template", "parent", "body", "message"])


class DocMoveForm(forms.Form):
    parent = forms.ModelChoiceField(
        queryset=Doc.objects.none(), required=False, empty_label="(top level)", to_field_name="slug"
    )
    position = forms.IntegerField(
        min_value=0, required=False, help_text="0 puts it first among its siblings; empty puts it last."
    )

    def __init__(self, *args, project=None, exclude_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            Doc.objects.filter(project=project, deleted_at__isnull=True)
            .exclude(pk__in=list(exclude_ids))
            .order_by("title")
            .only("id", "title", "slug")
        )


class AttachmentForm(forms.Form):
    file = forms.FileField()


class DocTemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=300, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}))


class PreviewForm(forms.Form):
    body = forms.CharField(required=False)

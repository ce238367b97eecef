"""The Webhooks page under project settings (admins): list, add, edit events, delete, send a
test event; each hook's delivery log with redeliver. Non-members get 404, others 403."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from projects.access import Action, project_for

from . import selectors, services
from .models import EVENTS, Delivery, DeliveryAttempt, Webhook

EVENT_CHOICES = [("*", "Every event"), *[(event, event) for event in EVENTS]]


class WebhookForm(forms.Form):
    url = forms.CharField(label="Payload URL", max_length=2000)
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, initial=["*"])
    secret = forms.CharField(
        label="Secret", max_length=200, min_length=16, required=False, help_text="Leave empty to generate one."
    )


class WebhookEditForm(forms.Form):
    url = forms.CharField(label="Payload URL", max_length=2000)
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(required=False)


def _service_errors(form, error: ValidationError) -> None:
    detail = error.detail if isinstance(error.detail, dict) else {None: error.detail}
    for field, problems in detail.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            form.add_error(field if field in form.fields else None, str(problem))


@login_required
def webhook_list(request, key):
    project = project_for(request.user, key, Action.ADMIN)
    form = WebhookForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            hook = services.webhook_create(project=project, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            new_secret, form = hook.secret, WebhookForm()
            messages.success(request, f"Webhook to {hook.url} added. Copy its secret now: it is not shown again.")
    hooks = list(selectors.webhook_list(project=project))
    rows = [
        {
            "hook": hook,
            "form": WebhookEditForm(
                initial={"url": hook.url, "events": hook.events, "active": hook.active}, prefix=f"h{hook.pk}"
            ),
        }
        for hook in hooks
    ]
    return render(
        request,
        "integrations/webhooks.html",
        {"project": project, "form": form, "rows": rows, "new_secret": new_secret},
    )


@login_required
@require_POST
def webhook_update(request, key, webhook_id):
    project = project_for(request.user, key, Action.ADMIN)
    hook = get_object_or_404(Webhook, project=project, pk=webhook_id)
    action = request.POST.get("action", "save")
    if action == "delete":
        services.webhook_delete(webhook=hook)
        messages.success(request, f"Webhook to {hook.url} deleted.")
    elif action == "test":
        services.webhook_send_test(webhook=hook, user=request.user)
        messages.success(request, "Test event queued: see the delivery log.")
        return redirect("integrations:deliveries", key=project.key, webhook_id=hook.pk)
    else:
        form = WebhookEditForm(request.POST, prefix=f"h{hook.pk}")
        try:
            if not form.is_valid():
                raise ValidationError(form.errors)
            services.webhook_update(webhook=hook, **form.cleaned_data)
        except ValidationError as error:
            problems = error.detail if isinstance(error.detail, dict) else {"": error.detail}
            for field, texts in problems.items():
                for text in texts if isinstance(texts, list) else [texts]:
                    messages.error(request, f"{field}: {text}" if field else str(text))
        else:
            messages.success(request, f"Webhook to {hook.url} saved.")
    return redirect("integrations:webhooks", key=project.key)


@login_required
def webhook_deliveries(request, key, webhook_id):
    project = project_for(request.user, key, Action.ADMIN)
    hook = get_object_or_404(Webhook, project=project, pk=webhook_id)
    deliveries = selectors.delivery_list(webhook=hook).prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number"))
    )
    page = Paginator(deliveries, 25).get_page(request.GET.get("page"))
    return render(request, "integrations/webhook_deliveries.html", {"project": project, "hook": hook, "page": page})


@login_required
@require_POST
def delivery_redeliver(request, key, webhook_id, delivery_id):
    project = project_for(request.user, key, Action.ADMIN)
    delivery = get_object_or_404(
        Delivery.objects.select_related("webhook"), webhook__project=project, webhook_id=webhook_id, pk=delivery_id
    )
    services.delivery_redeliver(delivery=delivery)
    messages.success(request, f"{delivery.event} queued again.")
    return redirect("integrations:deliveries", key=project.key, webhook_id=webhook_id)

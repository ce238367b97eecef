"""Reads: a project's hooks and a hook's delivery log."""

from django.db.models import QuerySet

from .models import Delivery, Webhook


def webhook_list(*, project) -> QuerySet[Webhook]:
    return Webhook.objects.filter(project=project).order_by("id")


def delivery_list(*, webhook: Webhook) -> QuerySet[Delivery]:
    return Delivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")

"""The Django admin works for every model: each registered model's list, add and change
pages open for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.services import api_token_create
from projects import services
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_model_has_an_admin():
    from django.apps import apps

    ours = {"accounts", "projects", "docs_hub", "experiments"}
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in ours and not m._meta.auto_created and m not in admin.site._registry
    ]
    assert missing == []


def test_admin_pages_open_for_every_model(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    project = services.project_create(creator=superuser, key="ADM", name="Admin check")
    services.ticket_create(project=project, reporter=superuser, title="Something")
    api_token_create(user=superuser, name="x")
    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        prefix = f"admin:{info[0]}_{info[1]}"
        assert client.get(reverse(f"{prefix}_changelist")).status_code == 200, info
        if model_admin.has_add_permission(type("R", (), {"user": superuser})()):
            assert client.get(reverse(f"{prefix}_add")).status_code == 200, info
        obj = model._default_manager.first()
        if obj is not None:
            assert client.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200, info

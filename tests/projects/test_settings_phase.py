"""Changing the phase in the project settings (page or API) is a lifecycle step like the
Advance button: recorded with who, when and the checklist, and refused past unticked exit
criteria (the Lifecycle page's Advance takes a reason to override them)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from projects.models import PhaseTransition, Project, Role
from projects.services.lifecycle import exit_criteria_create
from tests.projects.factories import MembershipFactory, ProjectFactory, settings_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV", phase="define")


@pytest.fixture
def admin(cv):
    return MembershipFactory(project=cv, role=Role.ADMIN, user__username="ada").user


def test_a_phase_set_in_the_settings_page_is_recorded_as_a_transition(client, cv, admin):
    client.force_login(admin)
    response = client.post(reverse("projects:settings", args=["CV"]), settings_form_data(cv, phase="plan"))
    assert response.status_code == 302
    transition = PhaseTransition.objects.get(project=cv)
    assert (transition.from_phase, transition.to_phase, transition.actor) == ("define", "plan", admin)
    assert Project.objects.get(pk=cv.pk).phase == "plan"


def test_the_settings_page_refuses_a_phase_past_unticked_criteria_and_keeps_the_rest(client, cv, admin):
    exit_criteria_create(cv, "define", ["Problem statement signed off"])
    client.force_login(admin)
    response = client.post(
        reverse("projects:settings", args=["CV"]), settings_form_data(cv, phase="plan", name="Renamed")
    )
    assert response.status_code == 200
    assert "1 exit criterion of the phases left not ticked" in response.content.decode()
    stored = Project.objects.get(pk=cv.pk)
    assert (stored.phase, stored.name) == ("define", cv.name)  # nothing half-saved
    assert not PhaseTransition.objects.exists()


def test_the_api_patch_of_phase_follows_the_same_rule(cv, admin):
    exit_criteria_create(cv, "define", ["Problem statement signed off"])
    api = APIClient()
    api.force_authenticate(admin)
    response = api.patch("/api/v1/projects/CV/", {"phase": "plan"}, format="json")
    assert response.status_code == 400
    assert "phase" in response.json()
    criterion = cv.exit_criteria.get()
    criterion.done = True
    criterion.save()
    response = api.patch("/api/v1/projects/CV/", {"phase": "plan"}, format="json")
    assert response.status_code == 200 and response.json()["phase"] == "plan"
    assert PhaseTransition.objects.get(project=cv).actor == admin

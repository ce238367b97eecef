"""Project settings → Alert intake page: admins only, the token shown once, options saved
with field errors, recent deliveries, and a constant query count."""

import json
from pathlib import Path

import pytest
from django.test import Client

from integrations import alerts
from integrations.models import AlertIntake
from projects.models import Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db
PAGE = "/projects/FRAUD/settings/alert-intake/"
FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager_firing.json"


@pytest.fixture
def fraud():
    return ProjectFactory(key="FRAUD")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("role", "code"), [(None, 404), (Role.VIEWER, 403), (Role.MEMBER, 403), (Role.ADMIN, 200)])
def test_page_is_for_admins(fraud, role, code):
    user = UserFactory() if role is None else MembershipFactory(project=fraud, role=role).user
    assert _client(user).get(PAGE).status_code == code
    assert _client(user).post(PAGE, {"action": "token"}).status_code == code
    assert AlertIntake.objects.exists() == (role == Role.ADMIN)


def test_token_shown_once_then_only_its_hint(fraud):
    client = _client(MembershipFactory(project=fraud, role=Role.ADMIN).user)
    page = client.get(PAGE).content.decode()
    assert "No token yet" in page and "http://testserver/api/v1/projects/FRAUD/alert-intake/alertmanager/" in page
    shown = client.post(PAGE, {"action": "token"}).content.decode()
    intake = AlertIntake.objects.get()
    raw = shown.split('id="alert-intake-token" readonly value="')[1].split('"')[0]
    assert alerts.token_hash(raw) == intake.token_hash
    again = client.get(PAGE).content.decode()
    assert raw not in again and f"{intake.token_hint}…" in again


def test_options_saved_and_refused_with_messages(fraud):
    client = _client(MembershipFactory(project=fraud, role=Role.ADMIN).user)
    client.post(PAGE, {"action": "token"})
    bad = client.post(PAGE, {"action": "options", "repeat_comment_minutes": "soon", "resolve_status": ""})
    assert bad.status_code == 400 and "whole number of minutes" in bad.content.decode()
    bad = client.post(PAGE, {"action": "options", "repeat_comment_minutes": "5", "resolve_status": "nope"})
    assert bad.status_code == 400 and "is not a status of this project" in bad.content.decode()
    ok = client.post(PAGE, {"action": "options", "repeat_comment_minutes": "15", "resolve_status": "done"})
    assert ok.status_code == 302
    intake = AlertIntake.objects.get()
    assert (intake.repeat_comment_minutes, intake.resolve_status) == (15, "done")


def test_settings_page_links_to_it(fraud):
    client = _client(MembershipFactory(project=fraud, role=Role.ADMIN).user)
    assert PAGE in client.get("/projects/FRAUD/settings/").content.decode()


@pytest.mark.parametrize("payloads", [1, 15])
def test_page_query_count_is_constant(fraud, payloads, django_assert_max_num_queries):
    admin = MembershipFactory(project=fraud, role=Role.ADMIN).user
    intake, _ = alerts.alert_intake_token_rotate(project=fraud, user=admin)
    payload = json.loads(FIXTURE.read_text())
    for i in range(payloads):
        for alert in payload["alerts"]:
            alert["fingerprint"] = f"{alert['fingerprint'][:8]}{i:04d}"
        alerts.alert_payload_receive(intake=intake, payload=payload)
    alerts.alert_delivery_refused(intake=intake, error="alerts must be a list.")
    client = _client(admin)
    with django_assert_max_num_queries(12):
        response = client.get(PAGE)
    assert response.status_code == 200 and "refused: alerts must be a list." in response.content.decode()


def test_demo_seeds_frauds_intake_with_tickets_and_a_resolution(fraud):
    from integrations.demo import seed_alerts_demo
    from projects.models import Ticket

    admin = MembershipFactory(project=fraud, role=Role.ADMIN).user
    seed_alerts_demo(admin)
    seed_alerts_demo(admin)  # again: nothing more
    tickets = Ticket.objects.filter(project=fraud).exclude(alert_fingerprint="")
    assert tickets.count() == 2
    latency = tickets.get(alert_fingerprint="a81bd0c44f7e2293")
    assert latency.comments.get().body.startswith("Resolved at 2026-12-02T17:40:30Z")
    assert AlertIntake.objects.get(project=fraud).received == 2

"""Alertmanager intake: payloads in Alertmanager's documented webhook format (version 4,
tests/integrations/fixtures/alertmanager_firing.json) firing, repeated, resolved, firing
again and malformed; the token; the role matrix of the configuration endpoint; the ticket
API's alert_fingerprint; the query budget of a payload."""

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from experiments.models import ModelVersion, RunLink
from integrations import alerts
from integrations.models import AlertDelivery, AlertIntake, AlertTicket
from projects.models import Comment, Role, Ticket
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager_firing.json"
URL = "/api/v1/projects/FRAUD/alert-intake/alertmanager/"


def firing() -> dict:
    return json.loads(FIXTURE.read_text())


def resolved(payload: dict, *, fingerprints=None) -> dict:
    payload = copy.deepcopy(payload)
    payload["status"] = "resolved"
    for alert in payload["alerts"]:
        if fingerprints is None or alert["fingerprint"] in fingerprints:
            alert["status"] = "resolved"
            alert["endsAt"] = "2026-12-02T17:40:30.000Z"
    return payload


@pytest.fixture
def fraud():
    return ProjectFactory(key="FRAUD")


@pytest.fixture
def token(fraud):
    _, raw = alerts.alert_intake_token_rotate(project=fraud, user=None)
    return raw


def post(payload, token, *, raw=None, url=URL):
    client = APIClient()
    body = raw if raw is not None else json.dumps(payload)
    return client.post(url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_firing_opens_one_bug_per_fingerprint_with_labels_description_and_runs(fraud, token):
    source = MlflowSourceFactory(project=fraud)
    run = RunFactory(experiment=ExperimentFactory(source=source))
    RunFactory(experiment=ExperimentFactory(source=source))  # another model's run: not linked
    ModelVersion.objects.create(source=source, name="fraud-detector", version="3", run_id=run.run_id, created_ms=1)

    response = post(firing(), token)

    assert response.status_code == 200, response.content
    assert response.json()["created"] == ["FRAUD-1", "FRAUD-2"]
    accuracy = Ticket.objects.get(alert_fingerprint="5f3a1c9e0b2d4e61")
    assert accuracy.type == "bug" and accuracy.priority == "high"
    assert accuracy.title.startswith("ModelAccuracyDrop (service=fraud-scoring")
    assert "registered_model=fraud-detector" in accuracy.title
    assert set(accuracy.labels.values_list("name", flat=True)) == {
        "alert",
        "alertname:ModelAccuracyDrop",
        "severity:critical",
        "service:fraud-scoring",
        "registered_model:fraud-detector",
    }
    assert "fraud-detector accuracy fell below 0.90" in accuracy.description
    assert "https://runbooks.example.com/ml/model-accuracy-drop" in accuracy.description
    assert "| instance | scoring-7f9c:9090 |" in accuracy.description
    assert "http://prometheus.example.com:9090/graph" in accuracy.description
    assert list(RunLink.objects.filter(ticket=accuracy).values_list("run_id", flat=True)) == [run.pk]
    latency = Ticket.objects.get(alert_fingerprint="a81bd0c44f7e2293")
    assert latency.priority == "medium" and not RunLink.objects.filter(ticket=latency).exists()
    delivery = AlertDelivery.objects.get()
    assert delivery.accepted and delivery.alerts == 2 and delivery.status == "firing"


def test_run_id_label_links_that_run(fraud, token):
    run = RunFactory(experiment=ExperimentFactory(source=MlflowSourceFactory(project=fraud)))
    payload = firing()
    payload["alerts"] = payload["alerts"][1:]
    payload["alerts"][0]["labels"]["run_id"] = run.run_id
    assert post(payload, token).status_code == 200
    assert RunLink.objects.get().run_id == run.pk


def test_repeat_while_firing_adds_no_ticket_and_one_comment_after_the_interval(fraud, token):
    assert post(firing(), token).status_code == 200
    again = post(firing(), token)
    assert again.status_code == 200 and again.json()["created"] == []
    assert Ticket.objects.filter(project=fraud).count() == 2
    assert Comment.objects.count() == 0

    AlertTicket.objects.update(last_comment_at=timezone.now() - timedelta(minutes=61))
    assert post(firing(), token).status_code == 200
    assert Comment.objects.count() == 2 and Ticket.objects.filter(project=fraud).count() == 2
    assert Comment.objects.first().body.startswith("Still firing (since 2026-12-02T")
    assert post(firing(), token).status_code == 200
    assert Comment.objects.count() == 2  # not again before another hour


def test_repeat_comments_off_with_zero_minutes(fraud, token):
    AlertIntake.objects.update(repeat_comment_minutes=0)
    post(firing(), token)
    AlertTicket.objects.update(last_comment_at=timezone.now() - timedelta(days=2))
    post(firing(), token)
    assert Comment.objects.count() == 0


def test_resolved_comments_moves_to_the_chosen_status_and_refiring_reopens_the_same_ticket(fraud, token):
    AlertIntake.objects.update(resolve_status="in_review")
    post(firing(), token)
    response = post(resolved(firing(), fingerprints={"5f3a1c9e0b2d4e61"}), token)
    assert response.status_code == 200
    ticket = Ticket.objects.get(alert_fingerprint="5f3a1c9e0b2d4e61")
    assert ticket.status.slug == "in_review"
    assert ticket.comments.get().body == "Resolved at 2026-12-02T17:40:30.000Z. Moved to in_review."
    other = Ticket.objects.get(alert_fingerprint="a81bd0c44f7e2293")
    assert other.status.slug == "todo" and not other.comments.exists()
    # resolved twice: nothing more
    post(resolved(firing(), fingerprints={"5f3a1c9e0b2d4e61"}), token)
    assert ticket.comments.count() == 1

    assert post(firing(), token).json()["created"] == []
    ticket.refresh_from_db()
    assert ticket.status.slug == "todo" and Ticket.objects.filter(project=fraud).count() == 2
    assert ticket.comments.last().body.startswith("Firing again since 2026-12-02T16:58:30.123Z; reopened.")
    assert AlertTicket.objects.get(fingerprint="5f3a1c9e0b2d4e61").firing


def test_resolve_of_an_unknown_fingerprint_writes_nothing(fraud, token):
    assert post(resolved(firing()), token).status_code == 200
    assert not Ticket.objects.exists() and AlertDelivery.objects.get().accepted


def _malformed():
    no_version = firing()
    del no_version["version"]
    v3 = firing() | {"version": "3"}
    no_alerts = firing()
    del no_alerts["alerts"]
    alerts_not_list = firing() | {"alerts": {"a": 1}}
    no_fp = firing()
    del no_fp["alerts"][1]["fingerprint"]
    bad_status = firing()
    bad_status["alerts"][1]["status"] = "pending"
    labels_wrong = firing()
    labels_wrong["alerts"][1]["labels"] = ["severity", "warning"]
    label_value_wrong = firing()
    label_value_wrong["alerts"][1]["labels"]["severity"] = 3
    starts_wrong = firing()
    starts_wrong["alerts"][1]["startsAt"] = 12
    return [
        (None, "not json{", "not JSON"),
        ([1, 2], None, "JSON object"),
        (no_version, None, 'version "4"'),
        (v3, None, "got '3'"),
        (firing() | {"status": "ok"}, None, "status must be"),
        (no_alerts, None, "alerts must be a list"),
        (alerts_not_list, None, "alerts must be a list"),
        (no_fp, None, "alerts[1].fingerprint is missing"),
        (bad_status, None, "alerts[1].status"),
        (labels_wrong, None, "alerts[1].labels must be an object of strings"),
        (label_value_wrong, None, "alerts[1].labels must be an object of strings"),
        (starts_wrong, None, "alerts[1].startsAt must be a string"),
    ]


@pytest.mark.parametrize(("payload", "raw", "reason"), _malformed())
def test_malformed_payload_is_a_400_with_the_reason_logged_and_nothing_written(
    fraud, token, payload, raw, reason, caplog
):
    response = post(payload, token, raw=raw)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not Ticket.objects.exists() and not AlertTicket.objects.exists()
    refused = AlertDelivery.objects.get()
    assert not refused.accepted and reason in refused.error
    assert AlertIntake.objects.get().rejected == 1
    assert any("refused a payload" in r.getMessage() for r in caplog.records)


def test_a_failure_midway_leaves_nothing_half_written(fraud, token, monkeypatch):
    """The second alert fails after the first one's ticket was written: both roll back."""
    from django.core.exceptions import ValidationError

    real, calls = alerts._runs_named, []

    def fail_on_second(project, alert):
        calls.append(alert.fingerprint)
        if len(calls) == 2:
            raise ValidationError("the database refused it")
        return real(project, alert)

    monkeypatch.setattr(alerts, "_runs_named", fail_on_second)
    response = post(firing(), token)
    assert response.status_code == 400 and "the database refused it" in response.json()["detail"]
    assert not Ticket.objects.exists() and not AlertTicket.objects.exists()
    assert list(AlertDelivery.objects.values_list("accepted", flat=True)) == [False]


def test_long_annotations_are_truncated_not_refused(fraud, token):
    payload = firing()
    payload["alerts"][1]["annotations"]["description"] = "y" * 50_000
    assert post(payload, token).status_code == 200
    assert Ticket.objects.get(alert_fingerprint="a81bd0c44f7e2293").description.endswith("(truncated)")


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Token {token}", "Bearer "])
def test_missing_or_wrong_token_is_401(fraud, token, header):
    client = APIClient()
    extra = {"HTTP_AUTHORIZATION": header.format(token=token)} if header else {}
    response = client.post(URL, data=json.dumps(firing()), content_type="application/json", **extra)
    assert response.status_code == 401
    assert not Ticket.objects.exists()


def test_another_projects_token_is_401_and_unknown_project_404(fraud, token):
    other = ProjectFactory(key="OTHER")
    _, other_token = alerts.alert_intake_token_rotate(project=other, user=None)
    assert post(firing(), other_token).status_code == 401
    assert post(firing(), token, url="/api/v1/projects/NOPE/alert-intake/alertmanager/").status_code == 404


def test_a_new_token_replaces_the_old(fraud, token):
    _, new = alerts.alert_intake_token_rotate(project=fraud, user=None)
    assert post(firing(), token).status_code == 401
    assert post(firing(), new).status_code == 200
    assert AlertIntake.objects.get().token_hash == alerts.token_hash(new) != new


@pytest.mark.parametrize(("role", "code"), [(None, 404), (Role.VIEWER, 403), (Role.MEMBER, 403), (Role.ADMIN, 200)])
def test_config_endpoint_role_matrix(api, fraud, role, code):
    user = UserFactory() if role is None else MembershipFactory(project=fraud, role=role).user
    client = api.as_user(user)
    assert client.post("/api/v1/projects/FRAUD/alert-intake/").status_code == code
    assert client.get("/api/v1/projects/FRAUD/alert-intake/").status_code == code
    patched = client.patch("/api/v1/projects/FRAUD/alert-intake/", {"repeat_comment_minutes": 5}, format="json")
    assert patched.status_code == code


def test_config_post_answers_url_and_token_and_the_token_works(api, fraud):
    admin = MembershipFactory(project=fraud, role=Role.ADMIN).user
    client = api.as_user(admin)
    body = client.post("/api/v1/projects/FRAUD/alert-intake/").json()
    assert set(body) == {"url", "token"}
    assert body["url"] == "http://testserver/api/v1/projects/FRAUD/alert-intake/alertmanager/"
    assert post(firing(), body["token"]).status_code == 200
    second = client.post("/api/v1/projects/FRAUD/alert-intake/").json()
    assert second["token"] != body["token"] and post(firing(), body["token"]).status_code == 401

    described = client.get("/api/v1/projects/FRAUD/alert-intake/").json()
    assert described["received"] == 1 and described["deliveries"][0]["created_tickets"] == ["FRAUD-1", "FRAUD-2"]
    assert "token" not in described and described["token_hint"] == second["token"][:10]

    bad = client.patch("/api/v1/projects/FRAUD/alert-intake/", {"resolve_status": "nope"}, format="json")
    assert bad.status_code == 400 and "resolve_status" in bad.json()
    ok = client.patch(
        "/api/v1/projects/FRAUD/alert-intake/", {"resolve_status": "done", "repeat_comment_minutes": 30}, format="json"
    )
    assert ok.status_code == 200 and (ok.json()["resolve_status"], ok.json()["repeat_comment_minutes"]) == ("done", 30)


def test_ticket_api_lists_alert_fingerprint(api, fraud, token):
    post(firing(), token)
    viewer = MembershipFactory(project=fraud, role=Role.VIEWER).user
    body = api.as_user(viewer).get("/api/v1/tickets/FRAUD-1/").json()
    assert body["alert_fingerprint"] == "5f3a1c9e0b2d4e61"


def test_intake_is_csrf_exempt_with_session_checks_on(fraud, token):
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(
        URL, data=json.dumps(firing()), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200


def test_get_is_not_allowed(fraud, token):
    assert APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


@pytest.mark.parametrize("count", [2, 20])
def test_repeat_payload_query_budget_is_constant(fraud, token, count, django_assert_max_num_queries):
    payload = firing()
    template = payload["alerts"][1]
    payload["alerts"] = [template | {"fingerprint": f"fp{i:04d}"} for i in range(count)]
    post(payload, token)
    # a repeat of N firing alerts that says nothing new: the same queries for 2 or 20
    with django_assert_max_num_queries(12):
        assert post(payload, token).status_code == 200


@pytest.mark.parametrize("payloads", [1, 25])
def test_config_api_query_count_is_constant(api, fraud, token, payloads, django_assert_max_num_queries):
    admin = MembershipFactory(project=fraud, role=Role.ADMIN).user
    client = api.as_user(admin)
    for i in range(payloads):
        payload = firing()
        for alert in payload["alerts"]:
            alert["fingerprint"] += f"{i:03d}"
        post(payload, token)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/projects/FRAUD/alert-intake/")
    assert response.status_code == 200 and len(response.json()["deliveries"]) == min(payloads, 20)


@pytest.mark.django_db(transaction=True)
def test_two_payloads_at_once_open_one_ticket(fraud, token):
    """Two deliveries of the same new alert in parallel (two threads, two connections)."""
    import threading

    from django.db import connection

    results = []

    def send():
        try:
            results.append(post(firing(), token).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200]
    assert Ticket.objects.filter(project=fraud).count() == 2

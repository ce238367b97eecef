"""Outbound webhooks against a real local HTTP receiver: signed deliveries a receiver can
verify, retries with backoff on 500 then success, the delivery log, redelivery, the test
event, SSRF refusal at subscription and at delivery, admins only, query budgets."""

import hashlib
import hmac
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations import services
from integrations.models import Delivery, Webhook
from projects import services as project_services
from projects.models import Role
from tests.http_receiver import Receiver, always
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def admin(cv):
    return MembershipFactory(project=cv, role=Role.ADMIN, user__username="ada").user


@pytest.fixture
def receiver(settings):
    with Receiver(always(200, "ok")) as running:
        settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{running.port}"]
        settings.AIHUB_WEBHOOK_BACKOFF_BASE = 0.01
        yield running


def verify(secret: str, request: dict) -> dict:
    """What a receiver does: recompute the HMAC over "{timestamp}.{body}" and compare."""
    body = request["body"].decode()
    timestamp = request["headers"]["x-aihub-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, request["headers"]["x-aihub-signature"])
    return json.loads(body)


def subscribe(api, admin, receiver, events=("*",), **extra):
    response = api.as_user(admin).post(
        "/api/v1/projects/CV/webhooks/", {"url": receiver.url + "/hook", "events": list(events), **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_ticket_created_is_delivered_signed_with_the_api_ticket(
    api, cv, admin, receiver, django_capture_on_commit_callbacks
):
    hook = subscribe(api, admin, receiver, events=["ticket.created", "ticket.moved"])
    assert len(hook["secret"]) == 64  # generated, shown once
    assert "secret" not in api.get(f"/api/v1/webhooks/{hook['id']}/").json()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = project_services.ticket_create(project=cv, reporter=admin, title="Label drift")
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent["method"] == "POST" and sent["path"] == "/hook"
    assert sent["headers"]["x-aihub-event"] == "ticket.created"
    payload = verify(hook["secret"], sent)
    assert set(payload) == {"id", "event", "created_at", "project", "data"}
    assert payload["project"] == "CV" and payload["event"] == "ticket.created"
    api_ticket = api.get(f"/api/v1/tickets/{ticket.key}/").json()
    assert payload["data"]["key"] == ticket.key and payload["data"]["title"] == api_ticket["title"]
    assert set(payload["data"]) == set(api_ticket)
    # A forged body fails verification.
    forged = dict(sent, body=sent["body"].replace(b"Label drift", b"Forged"))
    with pytest.raises(AssertionError):
        verify(hook["secret"], forged)


def test_events_map_to_what_happened_and_only_subscribed_ones_are_sent(
    api, cv, admin, receiver, django_capture_on_commit_callbacks
):
    subscribe(api, admin, receiver, events=["ticket.moved", "ticket.deleted", "comment.added", "sprint.started"])
    sprint = SprintFactory(project=cv)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = project_services.ticket_create(project=cv, reporter=admin, title="Drift", sprint=sprint)
    with django_capture_on_commit_callbacks(execute=True):
        project_services.ticket_move(ticket=ticket, user=admin, status="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        project_services.comment_create(ticket=ticket, author=admin, body="Looks like *drift*.")
    with django_capture_on_commit_callbacks(execute=True):
        project_services.sprint_start(sprint=sprint, user=admin)
    with django_capture_on_commit_callbacks(execute=True):
        project_services.ticket_delete(ticket=ticket, user=admin)
    events = [request["headers"]["x-aihub-event"] for request in receiver.requests]
    assert events == ["ticket.moved", "comment.added", "sprint.started", "ticket.deleted"]
    bodies = [json.loads(request["body"]) for request in receiver.requests]
    assert bodies[0]["data"]["status"] == "in_progress"
    assert bodies[1]["data"]["body"] == "Looks like *drift*." and bodies[1]["data"]["ticket"] == ticket.key
    assert bodies[2]["data"]["id"] == sprint.pk and bodies[2]["data"]["state"] == "active"
    assert bodies[3]["data"] == {"key": ticket.key}


def test_a_rolled_back_write_sends_nothing(api, cv, admin, receiver, django_capture_on_commit_callbacks):
    from django.db import transaction

    subscribe(api, admin, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                project_services.ticket_create(project=cv, reporter=admin, title="Never")
                raise RuntimeError
        except RuntimeError:
            pass
    assert receiver.requests == [] and not Delivery.objects.exists()


def test_retries_with_exponential_backoff_on_500_then_success(
    api, cv, admin, settings, django_capture_on_commit_callbacks
):
    answers = iter([500, 500, 500, 200])

    def flaky(method, path):
        return next(answers), {}, "busy"

    with Receiver(flaky) as receiver:
        settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{receiver.port}"]
        settings.AIHUB_WEBHOOK_BACKOFF_BASE = 0.5
        hook = subscribe(api, admin, receiver, events=["ticket.created"])
        with django_capture_on_commit_callbacks(execute=True):
            project_services.ticket_create(project=cv, reporter=admin, title="Flaky")
    assert len(receiver.requests) == 4
    # The same event (id and body) every time, each signed with its own timestamp.
    assert len({request["body"] for request in receiver.requests}) == 1
    for request in receiver.requests:
        verify(hook["secret"], request)
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()
    assert log["count"] == 1
    delivery = log["results"][0]
    assert delivery["event"] == "ticket.created" and delivery["success"] is True and delivery["status_code"] == 200
    assert delivery["attempts"] == 4
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 500, 200]
    assert [a["retry_in_seconds"] for a in delivery["attempt_log"]] == [0.5, 1.0, 2.0, None]
    assert json.loads(delivery["request_body"])["event"] == "ticket.created"
    assert all(a["duration_ms"] >= 0 for a in delivery["attempt_log"])


def test_gives_up_after_five_tries_then_redelivery_sends_the_same_event(
    api, cv, admin, settings, django_capture_on_commit_callbacks
):
    status = {"code": 500}
    with Receiver(lambda method, path: (status["code"], {}, "")) as receiver:
        settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{receiver.port}"]
        settings.AIHUB_WEBHOOK_BACKOFF_BASE = 0.01
        hook = subscribe(api, admin, receiver, events=["ticket.created"])
        with django_capture_on_commit_callbacks(execute=True):
            project_services.ticket_create(project=cv, reporter=admin, title="Down")
        assert len(receiver.requests) == 5
        failed = Delivery.objects.get()
        assert failed.status == "failed" and failed.attempts == 5 and failed.error == "HTTP 500"
        status["code"] = 204
        client = api.as_user(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{failed.pk}/redeliver/")
        assert response.status_code == 202
    assert len(receiver.requests) == 6
    assert receiver.requests[5]["body"] == receiver.requests[0]["body"]
    again = Delivery.objects.get(redelivery_of=failed)
    assert again.status == "ok" and again.status_code == 204 and again.event_id == failed.event_id


def test_send_a_test_event(api, cv, admin, receiver, django_capture_on_commit_callbacks):
    hook = subscribe(api, admin, receiver, events=["doc.created"], secret="s3cret-s3cret-s3cret")
    assert hook["secret"] == "s3cret-s3cret-s3cret"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/webhooks/{hook['id']}/test/")
    assert response.status_code == 202
    payload = verify("s3cret-s3cret-s3cret", receiver.requests[0])
    assert payload["event"] == "webhook.test" and payload["data"]["webhook"] == hook["id"]


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/hook",  # a name that resolves to 127.0.0.1
        "http://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
        "http://2130706433/hook",  # 127.0.0.1 as a decimal number
    ],
)
def test_internal_targets_are_refused_at_subscription(api, cv, admin, url):
    response = api.as_user(admin).post("/api/v1/projects/CV/webhooks/", {"url": url, "events": ["*"]}, format="json")
    assert response.status_code == 400
    assert "outbound requests may not reach it" in response.json()["url"][0]
    assert not Webhook.objects.exists()


def test_a_target_that_turns_internal_is_refused_at_delivery(
    api, cv, admin, settings, django_capture_on_commit_callbacks
):
    with Receiver(always(200)) as receiver:
        settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"localhost:{receiver.port}"]
        response = api.as_user(admin).post(
            "/api/v1/projects/CV/webhooks/",
            {"url": f"http://localhost:{receiver.port}/hook", "events": ["ticket.created"]},
            format="json",
        )
        assert response.status_code == 201
        settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = []  # the operator withdrew the allowance
        with django_capture_on_commit_callbacks(execute=True):
            project_services.ticket_create(project=cv, reporter=admin, title="Blocked")
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.error.startswith("refused: localhost resolves to a loopback address")


@pytest.mark.parametrize("role", [None, Role.VIEWER, Role.MEMBER])
def test_only_admins_see_or_manage_hooks(api, cv, admin, receiver, role):
    hook = subscribe(api, admin, receiver)
    user = MembershipFactory(project=cv, role=role).user if role else MembershipFactory().user
    client = api.as_user(user)
    expected = 404 if role is None else 403
    assert client.get("/api/v1/projects/CV/webhooks/").status_code == expected
    assert (
        client.post("/api/v1/projects/CV/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json").status_code
        == expected
    )
    for path in (f"/api/v1/webhooks/{hook['id']}/", f"/api/v1/webhooks/{hook['id']}/deliveries/"):
        assert client.get(path).status_code == expected
    assert client.post(f"/api/v1/webhooks/{hook['id']}/test/").status_code == expected
    assert client.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == expected
    assert Webhook.objects.filter(pk=hook["id"]).exists()


def test_patch_and_delete(api, cv, admin, receiver):
    hook = subscribe(api, admin, receiver)
    client = api.as_user(admin)
    response = client.patch(
        f"/api/v1/webhooks/{hook['id']}/", {"events": ["doc.created", "doc.updated"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["events"] == ["doc.created", "doc.updated"]
    bad = client.patch(f"/api/v1/webhooks/{hook['id']}/", {"events": ["ticket.exploded"]}, format="json")
    assert bad.status_code == 400 and "events" in bad.json()
    refused = client.patch(f"/api/v1/webhooks/{hook['id']}/", {"url": "http://10.1.2.3/"}, format="json")
    assert refused.status_code == 400 and "private address" in refused.json()["url"][0]
    assert client.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert not Webhook.objects.exists()


def test_a_write_in_a_project_without_hooks_runs_no_webhook_query(cv, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        project_services.ticket_create(project=cv, reporter=admin, title="Quiet")
    assert not [q for q in queries.captured_queries if "integrations_" in q["sql"]][1:]  # at most the cached lookup
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        project_services.ticket_create(project=cv, reporter=admin, title="Quiet again")
    assert not [q for q in queries.captured_queries if "integrations_" in q["sql"]]  # cached


@pytest.mark.parametrize("count", [2, 30])
def test_delivery_log_and_list_query_budget(api, cv, admin, receiver, count, django_assert_max_num_queries):
    hook = subscribe(api, admin, receiver)
    for _ in range(count):
        services.webhook_send_test(webhook=Webhook.objects.get(pk=hook["id"]), user=admin)
    for delivery in Delivery.objects.all():
        services.delivery_attempt(delivery.pk)
    client = api.as_user(admin)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries/")
    assert response.json()["count"] == count
    with django_assert_max_num_queries(7):
        assert client.get("/api/v1/projects/CV/webhooks/").status_code == 200


def test_documented_in_the_openapi_schema(api, admin):
    schema = api.as_user(admin).get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/projects/{key}/webhooks/",
        "/api/v1/webhooks/{webhook_id}/",
        "/api/v1/webhooks/{webhook_id}/deliveries/",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver/",
        "/api/v1/webhooks/{webhook_id}/test/",
    ):
        assert path in schema["paths"], path


def test_doc_and_run_link_events(api, cv, admin, receiver, django_capture_on_commit_callbacks):
    from docs_hub import services as doc_services
    from experiments import services as run_services
    from tests.experiments.factories import RunFactory
    from tests.projects.factories import TicketFactory

    subscribe(api, admin, receiver, events=["doc.created", "doc.updated", "run.linked", "run.unlinked"])
    with django_capture_on_commit_callbacks(execute=True):
        doc = doc_services.doc_create(project=cv, author=admin, title="Model card", body="# Model card")
    with django_capture_on_commit_callbacks(execute=True):
        doc_services.doc_update(doc=doc, author=admin, body="# Model card\n\nF1 0.91")
    ticket = TicketFactory(project=cv, reporter=admin)
    run = RunFactory(project=cv)
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_link(run=run, ticket=ticket, user=admin)
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_unlink(run=run, ticket=ticket, user=admin)
    events = [request["headers"]["x-aihub-event"] for request in receiver.requests]
    assert events == ["doc.created", "doc.updated", "run.linked", "run.unlinked"]
    bodies = [json.loads(request["body"]) for request in receiver.requests]
    assert bodies[0]["data"]["slug"] == doc.slug and bodies[1]["data"]["body"].endswith("F1 0.91")
    assert bodies[2]["data"] == {"ticket": ticket.key, "run_id": run.run_id, "name": run.name}


def test_demo_seeds_a_paused_hook_with_a_delivery_log():
    from integrations.demo_webhooks import seed_webhooks_demo

    cv = ProjectFactory(key="CV")
    user = MembershipFactory(project=cv, role=Role.ADMIN).user
    seed_webhooks_demo(user)
    seed_webhooks_demo(user)  # a second run adds nothing
    hook = Webhook.objects.get(project=cv)
    assert not hook.active and hook.deliveries.count() == 3
    assert [d.attempts for d in hook.deliveries.order_by("created_at")] == [2, 1, 1]


def test_a_failed_sync_is_sent(api, cv, admin, receiver, django_capture_on_commit_callbacks):
    from experiments.models import SyncRecord
    from tests.experiments.factories import MlflowSourceFactory

    subscribe(api, admin, receiver, events=["sync.failed"])
    source = MlflowSourceFactory(project=cv)
    with django_capture_on_commit_callbacks(execute=True):
        record = SyncRecord.objects.create(source=source, kind="fast", status="running")
    with django_capture_on_commit_callbacks(execute=True):
        record.status, record.error = "error", "the tracking server answered 503"
        record.save(update_fields=["status", "error"])
    assert [request["headers"]["x-aihub-event"] for request in receiver.requests] == ["sync.failed"]
    data = json.loads(receiver.requests[0]["body"])["data"]
    assert data["id"] == record.pk and data["status"] == "error" and data["source"] == source.pk


def test_gate_passed_and_failed_are_sent_once_when_the_evidence_changes(
    api, cv, admin, receiver, django_capture_on_commit_callbacks
):
    from experiments import services as run_services
    from experiments.models import MetricGate
    from tests.experiments.factories import RunFactory
    from tests.projects.factories import TicketFactory

    subscribe(api, admin, receiver, events=["gate.passed", "gate.failed"])
    ticket = TicketFactory(project=cv, reporter=admin)
    weak = RunFactory(project=cv, metrics={"val_f1": 0.80})
    strong = RunFactory(project=cv, experiment=weak.experiment, metrics={"val_f1": 0.95})
    with django_capture_on_commit_callbacks(execute=True):  # no run yet: pending, nothing sent
        gate = run_services.gate_create(ticket=ticket, user=admin, metric="val_f1", op=">=", threshold=0.9)
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_link(run=weak, ticket=ticket, user=admin)  # fails
    with django_capture_on_commit_callbacks(execute=True):
        run_services.run_link(run=strong, ticket=ticket, user=admin)  # passes
    with django_capture_on_commit_callbacks(execute=True):
        run_services.gates_recheck_project(project_id=cv.pk)  # nothing changed: nothing sent
    # A sync rewrites the strong run's metric below the threshold: the gate fails again.
    type(strong).objects.filter(pk=strong.pk).update(metrics={"val_f1": 0.85})
    with django_capture_on_commit_callbacks(execute=True):
        run_services.gates_recheck_project(project_id=cv.pk)

    events = [request["headers"]["x-aihub-event"] for request in receiver.requests]
    assert events == ["gate.failed", "gate.passed", "gate.failed"]
    passed = json.loads(receiver.requests[1]["body"])["data"]
    assert passed["ticket"]["key"] == ticket.key
    assert [(g["gate"], g["status"], g["best_value"]) for g in passed["gates"]] == [("val_f1 >= 0.9", "pass", 0.95)]
    assert MetricGate.objects.get(pk=gate.pk).last_status == "fail"


def test_a_sync_rechecks_the_projects_gates(cv, admin, django_capture_on_commit_callbacks):
    """The sync task's after-import step: the sentinel, then every gate of the project."""
    from experiments import services as run_services
    from experiments.models import MetricGate, RunLink
    from tests.experiments.factories import MlflowSourceFactory, RunFactory
    from tests.projects.factories import TicketFactory

    ticket = TicketFactory(project=cv, reporter=admin)
    gate = run_services.gate_create(ticket=ticket, user=admin, metric="val_f1", op=">=", threshold=0.9)
    run = RunFactory(project=cv, metrics={"val_f1": 0.95})
    RunLink.objects.create(run=run, ticket=ticket, origin=RunLink.Origin.TAG)  # as the sync's tag link does
    source = MlflowSourceFactory(project=cv)
    run_services.after_sync_import(source=source, changed_since=run.start_time)
    assert MetricGate.objects.get(pk=gate.pk).last_status == "pass"

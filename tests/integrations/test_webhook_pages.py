"""The Webhooks page under project settings: admins add (secret shown once), edit events,
send a test, read the delivery log and redeliver; refused URLs show the reason; others get
403 or 404; constant query counts."""

import pytest

from integrations.models import Delivery, Webhook
from projects.models import Role
from tests.http_receiver import Receiver, always
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def admin_client(client, cv):
    client.force_login(MembershipFactory(project=cv, role=Role.ADMIN).user)
    return client


@pytest.fixture
def receiver(settings):
    with Receiver(always(200, "ok")) as running:
        settings.AIHUB_OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{running.port}"]
        yield running


def test_add_shows_the_secret_once_then_test_event_and_log(admin_client, receiver, django_capture_on_commit_callbacks):
    response = admin_client.post(
        "/projects/CV/settings/webhooks/", {"url": receiver.url + "/in", "events": ["ticket.created", "doc.updated"]}
    )
    assert response.status_code == 200
    hook = Webhook.objects.get()
    assert hook.events == ["ticket.created", "doc.updated"]
    assert hook.secret in response.content.decode()
    page = admin_client.get("/projects/CV/settings/webhooks/").content.decode()
    assert hook.secret not in page and receiver.url in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/projects/CV/settings/webhooks/{hook.pk}/", {"action": "test"})
    assert response.status_code == 302
    assert receiver.requests[0]["headers"]["x-aihub-event"] == "webhook.test"
    log = admin_client.get(f"/projects/CV/settings/webhooks/{hook.pk}/deliveries/").content.decode()
    assert "webhook.test" in log and "delivered" in log and "HTTP 200" in log
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/projects/CV/settings/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver/")
    assert len(receiver.requests) == 2 and Delivery.objects.count() == 2


def test_edit_events_and_delete(admin_client, receiver):
    admin_client.post("/projects/CV/settings/webhooks/", {"url": receiver.url, "events": ["*"]})
    hook = Webhook.objects.get()
    prefix = f"h{hook.pk}-"
    admin_client.post(
        f"/projects/CV/settings/webhooks/{hook.pk}/",
        {
            "action": "save",
            prefix + "url": receiver.url,
            prefix + "events": ["sprint.started"],
            prefix + "active": "on",
        },
    )
    hook.refresh_from_db()
    assert hook.events == ["sprint.started"] and hook.active
    admin_client.post(f"/projects/CV/settings/webhooks/{hook.pk}/", {"action": "delete"})
    assert not Webhook.objects.exists()


def test_a_refused_url_shows_why(admin_client):
    response = admin_client.post("/projects/CV/settings/webhooks/", {"url": "http://localhost/hook", "events": ["*"]})
    assert response.status_code == 200
    assert "localhost resolves to a loopback address" in response.content.decode()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("role,expected", [(None, 404), (Role.VIEWER, 403), (Role.MEMBER, 403)])
def test_only_admins(client, cv, role, expected):
    hook = Webhook.objects.create(project=cv, url="https://example.com/h", events=["*"], secret="x" * 20)
    user = MembershipFactory(project=cv, role=role).user if role else MembershipFactory().user
    client.force_login(user)
    assert client.get("/projects/CV/settings/webhooks/").status_code == expected
    assert client.get(f"/projects/CV/settings/webhooks/{hook.pk}/deliveries/").status_code == expected
    assert client.post(f"/projects/CV/settings/webhooks/{hook.pk}/", {"action": "delete"}).status_code == expected
    assert Webhook.objects.exists()


@pytest.mark.parametrize("count", [1, 25])
def test_query_budget(admin_client, cv, count, django_assert_max_num_queries):
    hooks = Webhook.objects.bulk_create(
        Webhook(project=cv, url=f"https://example.com/{i}", events=["*"], secret="x" * 20) for i in range(count)
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(webhook=hooks[0], event_id="7d3f6a0e-0000-4000-8000-000000000000", event="webhook.test", body="{}")
        for _ in range(count)
    )
    assert deliveries
    with django_assert_max_num_queries(12):
        assert admin_client.get("/projects/CV/settings/webhooks/").status_code == 200
    with django_assert_max_num_queries(12):
        assert admin_client.get(f"/projects/CV/settings/webhooks/{hooks[0].pk}/deliveries/").status_code == 200

import pytest

from projects import hooks, services
from projects.models import Notification, Role, Ticket
from tests.accounts.factories import UserFactory
from tests.projects.factories import (
    CustomFieldFactory,
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    SprintFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def member(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


def test_create_defaults_to_todo_and_answers_the_contract_fields(api, cv, member):
    client = api.as_user(member)
    response = client.post(
        "/api/v1/projects/CV/tickets/",
        {"title": "Label 5k images", "labels": ["data", "qa"], "estimate": 5, "assignee": "dana"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"] == "CV-1" and body["status"] == "todo" and body["version"] == 1
    assert body["labels"] == ["data", "qa"] and body["assignee"] == "dana" and body["estimate"] == 5
    assert body["url"] == "http://testserver/projects/CV/tickets/CV-1/"
    for field in (
        "title",
        "description",
        "type",
        "priority",
        "sprint",
        "created_at",
        "updated_at",
        "backlinks",
        "custom_fields",
    ):
        assert field in body


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "title"),
        ({"title": "x", "status": "nope"}, "status"),
        ({"title": "x", "assignee": "stranger"}, "assignee"),
        ({"title": "x", "type": "epic-ish"}, "type"),
        ({"title": "x", "sprint": 9999}, "sprint"),
        ({"title": "x", "estimate": -1}, "estimate"),
        ({"title": "x", "custom_fields": {"unknown": 1}}, "custom_fields"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(api, cv, member, payload, field):
    response = api.as_user(member).post("/api/v1/projects/CV/tickets/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Ticket.objects.exists()


def test_role_matrix(api, cv):
    ticket = TicketFactory(project=cv, title="Existing")
    outsider, viewer = UserFactory(), MembershipFactory(project=cv, role=Role.VIEWER).user
    admin = MembershipFactory(project=cv, role=Role.ADMIN).user
    member = MembershipFactory(project=cv, role=Role.MEMBER).user
    client = api.as_user(outsider)
    assert client.get("/api/v1/projects/CV/tickets/").status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket.key}/").status_code == 404
    assert client.patch(f"/api/v1/tickets/{ticket.key}/", {"title": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/tickets/{ticket.key}/comments/", {"body": "hi"}, format="json").status_code == 404
    client = api.as_user(viewer)
    assert client.get("/api/v1/projects/CV/tickets/").status_code == 200
    assert client.get(f"/api/v1/tickets/{ticket.key}/comments/").status_code == 200
    assert client.post("/api/v1/projects/CV/tickets/", {"title": "x"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/tickets/{ticket.key}/", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/tickets/{ticket.key}/").status_code == 403
    assert client.post(f"/api/v1/tickets/{ticket.key}/comments/", {"body": "hi"}, format="json").status_code == 403
    for user in (member, admin):
        client = api.as_user(user)
        assert (
            client.patch(f"/api/v1/tickets/{ticket.key}/", {"title": f"by {user.username}"}, format="json").status_code
            == 200
        )
        assert client.post(f"/api/v1/tickets/{ticket.key}/comments/", {"body": "ok"}, format="json").status_code == 201
    assert api.as_user(member).delete(f"/api/v1/tickets/{ticket.key}/").status_code == 204
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    api.credentials()
    assert api.get("/api/v1/projects/CV/tickets/").status_code == 401


def test_patch_with_stale_version_is_409_with_the_current_ticket_and_changes_nothing(api, cv, member):
    ticket = TicketFactory(project=cv, title="Original")
    client = api.as_user(member)
    first = client.patch(f"/api/v1/tickets/{ticket.key}/", {"title": "Theirs", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(f"/api/v1/tickets/{ticket.key}/", {"title": "Mine", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["title"] == "Theirs" and stale.json()["version"] == 2
    ticket.refresh_from_db()
    assert ticket.title == "Theirs"
    without_version = client.patch(f"/api/v1/tickets/{ticket.key}/", {"title": "Mine"}, format="json")
    assert without_version.status_code == 200 and without_version.json()["version"] == 3


def test_patch_status_moves_the_ticket_and_records_history(api, cv, member):
    ticket = TicketFactory(project=cv, title="Train")
    response = api.as_user(member).patch(f"/api/v1/tickets/{ticket.key}/", {"status": "done"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "done" and response.json()["finished_at"]
    assert ticket.events.filter(kind="moved", new_value="done").exists()


def test_list_filters(api, cv, member):
    sprint = SprintFactory(project=cv)
    data = LabelFactory(project=cv, name="data")
    CustomFieldFactory(project=cv, key="dataset", name="Dataset", field_type="select", options=["coco", "line3"])
    a = TicketFactory(
        project=cv,
        title="Label scratches",
        assignee=member,
        labels=[data],
        sprint=sprint,
        type="bug",
        custom_fields={"dataset": "line3"},
    )
    b = TicketFactory(project=cv, title="Tune threshold", priority="high", status=cv.statuses.get(slug="in_progress"))
    TicketFactory(project=cv, title="Write report", type="spike")
    client = api.as_user(member)

    def keys(query):
        response = client.get(f"/api/v1/projects/CV/tickets/?{query}")
        assert response.status_code == 200
        return [t["key"] for t in response.json()["results"]]

    assert keys("status=in_progress") == [b.key]
    assert keys("assignee=dana") == [a.key]
    assert keys(f"sprint={sprint.pk}") == [a.key]
    assert keys("label=data") == [a.key]
    assert keys("q=threshold") == [b.key]
    assert keys("type=bug") == [a.key]
    assert keys("priority=high") == [b.key]
    assert keys("cf_dataset=line3") == [a.key]
    assert keys("sprint=none") == [b.key, "CV-3"]
    assert keys("assignee=none&type=spike") == ["CV-3"]
    child = TicketFactory(project=cv, title="Sub-task of A", parent=a)
    assert keys(f"parent={a.key}") == [child.key]
    assert client.get("/api/v1/projects/CV/tickets/").json()["next"] is None


def test_list_includes_backlinks_from_providers_in_bulk(api, cv, member, django_assert_max_num_queries):
    tickets = [TicketFactory(project=cv, title=f"T{i}") for i in range(5)]
    calls = []

    def provider(ticket_ids):
        calls.append(list(ticket_ids))
        return {tickets[0].pk: [{"type": "doc", "slug": "plan", "title": "Plan", "url": "/d/plan"}]}

    hooks.register_backlink_provider(provider)
    try:
        client = api.as_user(member)
        body = client.get("/api/v1/projects/CV/tickets/").json()
    finally:
        hooks.backlink_providers.remove(provider)
    assert len(calls) == 1 and len(calls[0]) == 5
    by_key = {t["key"]: t for t in body["results"]}
    assert by_key[tickets[0].key]["backlinks"][0]["slug"] == "plan"
    assert by_key[tickets[1].key]["backlinks"] == []


def test_list_query_count_does_not_grow_with_tickets(api, cv, member, django_assert_max_num_queries):
    client = api.as_user(member)
    for i in range(3):
        TicketFactory(project=cv, title=f"T{i}", labels=[LabelFactory(project=cv)], assignee=member)
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/projects/CV/tickets/").status_code == 200
    for i in range(30):
        TicketFactory(project=cv, title=f"More {i}", labels=[LabelFactory(project=cv)], assignee=member)
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/v1/projects/CV/tickets/").json()["results"]) == 33


def test_comments_render_markdown_and_notify_mentioned_members(api, cv, member):
    ticket = TicketFactory(project=cv, title="Review")
    sam = MembershipFactory(project=cv, role=Role.VIEWER, user__username="sam").user
    UserFactory(username="stranger")
    response = api.as_user(member).post(
        f"/api/v1/tickets/{ticket.key}/comments/",
        {"body": "**Done** see CV-1, @sam and @stranger <script>alert(1)</script>"},
        format="json",
    )
    assert response.status_code == 201
    html = response.json()["body_html"]
    assert "<strong>Done</strong>" in html and "<script" not in html and "/projects/CV/tickets/CV-1/" in html
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["sam"]
    assert (
        api.as_user(member).post(f"/api/v1/tickets/{ticket.key}/comments/", {"body": ""}, format="json").status_code
        == 400
    )
    listed = api.as_user(sam).get(f"/api/v1/tickets/{ticket.key}/comments/").json()
    assert [c["author"] for c in listed["results"]] == ["dana"]


def test_custom_fields_round_trip_through_the_ticket_body(api, cv, member):
    CustomFieldFactory(project=cv, key="gpu_hours", name="GPU hours", field_type="number")
    CustomFieldFactory(
        project=cv, key="datasets", name="Datasets", field_type="multi_select", options=["coco", "line3"]
    )
    client = api.as_user(member)
    created = client.post(
        "/api/v1/projects/CV/tickets/",
        {"title": "Train", "custom_fields": {"gpu_hours": 12.5, "datasets": ["line3"]}},
        format="json",
    ).json()
    assert created["custom_fields"] == {"gpu_hours": 12.5, "datasets": ["line3"]}
    bad = client.patch(f"/api/v1/tickets/{created['key']}/", {"custom_fields": {"gpu_hours": "lots"}}, format="json")
    assert bad.status_code == 400 and "GPU hours" in bad.json()["custom_fields"][0]
    patched = client.patch(
        f"/api/v1/tickets/{created['key']}/", {"custom_fields": {"datasets": ["coco", "line3"]}}, format="json"
    ).json()
    assert patched["custom_fields"] == {"gpu_hours": 12.5, "datasets": ["coco", "line3"]}
    assert [t["key"] for t in client.get("/api/v1/projects/CV/tickets/?cf_datasets=coco").json()["results"]] == [
        created["key"]
    ]


def test_services_reexported():
    assert services.ticket_update and services.comment_create and services.sprint_complete

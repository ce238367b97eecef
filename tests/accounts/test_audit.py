"""The audit log: one row per write the app carried out, through the API (with its token)
and the pages (with a session); nothing for reads or refused writes; admins only; pruning."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_prune, derive
from accounts.models import ApiToken, AuditEntry
from accounts.tasks import prune_audit_log
from projects import services
from projects.models import Role
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _ticket(project, user, title="A ticket"):
    return services.ticket_create(project=project, reporter=user, title=title)


def test_api_write_with_a_token_is_one_entry_with_who_what_where(api, project, member_of, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    member = member_of(project, Role.MEMBER)
    client = api.as_user(member)
    response = client.post(
        f"/api/v1/projects/{project.key}/tickets/",
        {"title": "From CI"},
        format="json",
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_REQUEST_ID="req-audit-1",
    )
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get()
    token = ApiToken.objects.get(user=member)
    assert (entry.user, entry.username, entry.token, entry.token_name) == (member, member.username, token, "tests")
    assert entry.ip_address == "203.0.113.9"
    assert (entry.method, entry.action, entry.object_type, entry.object_key) == (
        "POST",
        "create",
        "ticket",
        response.json()["key"],
    )
    assert (entry.project_id, entry.project_key, entry.status_code) == (project.pk, project.key, 201)
    assert entry.request_id == "req-audit-1" and entry.via_api and entry.route == "ticket-list"


def test_api_patch_and_delete_name_the_ticket_and_its_project(api, project, member_of):
    member = member_of(project, Role.MEMBER)
    ticket = _ticket(project, member)
    client = api.as_user(member)
    assert client.patch(f"/api/v1/tickets/{ticket.key}/", {"title": "Renamed"}, format="json").status_code == 200
    assert client.delete(f"/api/v1/tickets/{ticket.key}/").status_code == 204
    update, delete = AuditEntry.objects.order_by("id")
    assert (update.action, update.object_type, update.object_key, update.project_id) == (
        "update",
        "ticket",
        ticket.key,
        project.pk,
    )
    assert (delete.action, delete.object_key, delete.project_id) == ("delete", ticket.key, project.pk)


def test_page_write_with_a_session_is_one_entry_without_a_token(client, project, member_of):
    member = member_of(project, Role.MEMBER)
    client.force_login(member)
    status = project.statuses.order_by("position").first()
    response = client.post(
        reverse("projects:ticket_create", kwargs={"key": project.key}),
        {"title": "From the page", "type": "story", "priority": "medium", "status": status.slug},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket_key = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.token, entry.token_name, entry.ip_address) == (member, None, "", "198.51.100.7")
    assert (entry.action, entry.object_type, entry.object_key) == ("create", "ticket", ticket_key)
    assert (entry.project_id, entry.via_api, entry.route) == (project.pk, False, "projects:ticket_create")


def test_reads_refusals_and_forms_with_errors_record_nothing(api, client, project, member_of):
    viewer = member_of(project, Role.VIEWER)
    member = member_of(project, Role.MEMBER)
    api.as_user(viewer)
    assert api.get(f"/api/v1/projects/{project.key}/tickets/").status_code == 200
    assert api.post(f"/api/v1/projects/{project.key}/tickets/", {"title": "x"}, format="json").status_code == 403
    api.as_user(member)
    assert api.post(f"/api/v1/projects/{project.key}/tickets/", {}, format="json").status_code == 400
    client.force_login(member)
    assert client.get(reverse("projects:board", kwargs={"key": project.key})).status_code == 200
    # A form shown again with its errors is a 200 that wrote nothing.
    assert client.post(reverse("projects:ticket_create", kwargs={"key": project.key}), {"title": ""}).status_code == 200
    assert not AuditEntry.objects.exists()


def test_a_write_costs_one_insert(api, project, member_of):
    member = member_of(project, Role.MEMBER)
    ticket = _ticket(project, member)
    client = api.as_user(member)
    client.get("/api/v1/projects/")  # the token's last use is recorded once a minute: not here
    url = f"/api/v1/tickets/{ticket.key}/"
    with CaptureQueriesContext(connection) as with_audit:
        assert client.patch(url, {"title": "One"}, format="json").status_code == 200
    audit_sql = [q["sql"] for q in with_audit.captured_queries if "accounts_auditentry" in q["sql"]]
    assert len(audit_sql) == 1 and audit_sql[0].startswith("INSERT")


def test_a_failing_insert_does_not_break_the_request(api, project, member_of, monkeypatch, caplog):
    member = member_of(project, Role.MEMBER)
    client = api.as_user(member)

    def broken(self, *args, **kwargs):
        from django.db import DatabaseError

        raise DatabaseError("disk full")

    monkeypatch.setattr(AuditEntry, "save", broken)
    with caplog.at_level("ERROR", logger="aihub.audit"):
        response = client.post(f"/api/v1/projects/{project.key}/tickets/", {"title": "Still made"}, format="json")
    assert response.status_code == 201
    assert project.tickets.filter(title="Still made").exists()
    assert "audit entry not recorded" in caplog.text and "disk full" in caplog.text


def test_no_body_header_or_secret_is_stored(api, project, member_of):
    member = member_of(project, Role.MEMBER)
    client = api.as_user(member)
    raw = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    client.post(f"/api/v1/projects/{project.key}/tickets/", {"title": "secret-title-xyz"}, format="json")
    row = AuditEntry.objects.values().get()
    text = " ".join(str(v) for v in row.values())
    assert raw not in text and "secret-title-xyz" not in text and "Bearer" not in text


@pytest.mark.parametrize(
    ("method", "route", "kwargs", "expected"),
    [
        ("POST", "ticket-move", {"ticket_key": "CV-1"}, ("move", "ticket", "CV-1")),
        ("POST", "sprint-start", {"sprint_id": 4}, ("start", "sprint", "4")),
        ("POST", "projects:member_role", {"key": "CV", "membership_id": 9}, ("change_role", "member", "9")),
        ("POST", "projects:ticket_delete", {"key": "CV", "ticket_key": "CV-2"}, ("delete", "ticket", "CV-2")),
        ("POST", "projects:settings", {"key": "CV"}, ("update", "project", "CV")),
        ("PATCH", "risk-detail", {"risk_id": 3}, ("update", "risk", "3")),
        ("DELETE", "saved-view-detail", {"key": "CV", "view_id": 7}, ("delete", "saved_view", "7")),
    ],
)
def test_action_and_object_come_from_the_route(method, route, kwargs, expected):
    assert derive(method, route, kwargs) == expected


# --- Reading: the page and the API ---------------------------------------------------------


def _entries(project, count, **fields):
    now = timezone.now()
    values = {"method": "POST", "path": "/x/", "action": "create", "object_type": "ticket", "status_code": 201}
    values.update(fields)
    rows = AuditEntry.objects.bulk_create(
        AuditEntry(project_id=project.pk, project_key=project.key, object_key=f"{project.key}-{i}", **values)
        for i in range(count)
    )
    AuditEntry.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=now)
    return rows


@pytest.mark.parametrize(("role", "status"), [(Role.ADMIN, 200), (Role.MEMBER, 403), (Role.VIEWER, 403), (None, 404)])
def test_only_admins_see_the_log(api, client, project, member_of, role, status):
    user = member_of(project, role) if role else member_of(ProjectFactory(), Role.ADMIN)
    _entries(project, 2)
    assert api.as_user(user).get(f"/api/v1/projects/{project.key}/audit-log/").status_code == status
    client.force_login(user)
    assert client.get(reverse("projects:audit_log", kwargs={"key": project.key})).status_code == status


def test_filters_by_user_action_object_and_dates(api, project, member_of):
    admin = member_of(project, Role.ADMIN)
    _entries(project, 2, username="ann", action="create", object_type="ticket")
    _entries(project, 1, username="bob", action="delete", object_type="sprint")
    old = _entries(project, 1, username="ann", action="update", object_type="doc")
    AuditEntry.objects.filter(pk=old[0].pk).update(created_at=timezone.now() - timedelta(days=10))
    _entries(ProjectFactory(), 3, username="ann")  # another project's: never listed
    client = api.as_user(admin)
    url = f"/api/v1/projects/{project.key}/audit-log/"

    def count(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count() == 4
    assert count(user="ann") == 3
    assert count(action="delete") == 1
    assert count(object_type="ticket") == 2
    today = timezone.now().date()
    assert count(since=(today - timedelta(days=1)).isoformat()) == 3
    assert count(until=(today - timedelta(days=5)).isoformat()) == 1
    bad = client.get(url, {"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()
    page = client.get(url, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    assert {"user", "token", "token_name", "ip_address", "action", "object_type", "object_key"} <= set(
        page["results"][0]
    )


def test_page_lists_and_filters(client, project, member_of):
    admin = member_of(project, Role.ADMIN)
    _entries(project, 2, username="ann", action="create")
    _entries(project, 1, username="bob", action="move", object_type="ticket")
    client.force_login(admin)
    url = reverse("projects:audit_log", kwargs={"key": project.key})
    body = client.get(url, {"action": "move"}).content.decode()
    assert body.count('<tr id="audit-') == 1
    assert "bob" in body
    bad = client.get(url, {"since": "nope"})
    assert bad.status_code == 200 and "Enter a date as YYYY-MM-DD." in bad.content.decode()
    settings_page = client.get(reverse("projects:settings", kwargs={"key": project.key})).content.decode()
    assert url in settings_page


@pytest.mark.parametrize("size", [3, 120])
def test_page_and_api_queries_do_not_grow(api, client, project, member_of, django_assert_max_num_queries, size):
    admin = member_of(project, Role.ADMIN)
    _entries(project, size, username="ann")
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("projects:audit_log", kwargs={"key": project.key})).status_code == 200
    api_client = api.as_user(admin)
    with django_assert_max_num_queries(5):
        assert api_client.get(f"/api/v1/projects/{project.key}/audit-log/").status_code == 200


def test_the_api_is_in_the_openapi_document(api, user):
    schema = api.as_user(user).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/projects/{key}/audit-log/"]["get"]
    assert operation["operationId"] == "projects_audit_log_list"
    assert {"user", "action", "object_type", "since", "until"} <= {p["name"] for p in operation["parameters"]}


# --- Retention ------------------------------------------------------------------------------


def test_pruning_removes_only_entries_past_the_retention(project, settings):
    settings.AIHUB_AUDIT_RETENTION_DAYS = 30
    keep = _entries(project, 3)
    old = _entries(project, 7)
    AuditEntry.objects.filter(pk__in=[r.pk for r in old]).update(created_at=timezone.now() - timedelta(days=31))
    AuditEntry.objects.filter(pk=keep[0].pk).update(created_at=timezone.now() - timedelta(days=29))
    assert audit_prune(batch_size=2) == 7
    assert set(AuditEntry.objects.values_list("pk", flat=True)) == {r.pk for r in keep}
    assert prune_audit_log() == 0


def test_pruning_is_on_the_beat_schedule():
    from aihub.celery import app

    entry = app.conf.beat_schedule["accounts-prune-audit-log"]
    assert entry["task"] == "accounts.tasks.prune_audit_log" == prune_audit_log.name
    assert entry["schedule"] <= 86400


def test_demo_workspace_shows_a_week_of_entries_once(project, member_of):
    from projects.demo_audit import seed_audit_demo

    project.key = "CV"
    project.save(update_fields=["key"])
    admin = member_of(project, Role.ADMIN)
    seed_audit_demo(admin)
    seed_audit_demo(admin)
    entries = AuditEntry.objects.filter(project_id=project.pk)
    assert entries.count() == 8
    assert {"create", "update", "move", "delete", "start"} <= set(entries.values_list("action", flat=True))
    assert entries.filter(via_api=True).exclude(token_name="").exists()

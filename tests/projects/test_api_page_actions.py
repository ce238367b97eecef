"""Page actions that the REST API now covers too: inviting by e-mail, deleting a workflow
status, deleting a comment, saving a project as a template (and deleting the template),
and the caller's notifications."""

import pytest
from django.core import mail

from projects import services
from projects.models import Comment, Membership, Notification, ProjectTemplate, Role, WorkflowStatus
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db


# --- Members: invitations by e-mail ------------------------------------------------------


def test_admin_invites_someone_new_by_email(api, project, member_of, django_capture_on_commit_callbacks):
    client = api.as_user(member_of(project, Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/projects/{project.key}/members/", {"email": "Ada@Example.com", "role": "viewer"}, format="json"
        )
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == "ada" and response.json()["role"] == "viewer"
    assert Membership.objects.get(project=project, user__email="ada@example.com").role == "viewer"
    assert len(mail.outbox) == 1 and project.name in mail.outbox[0].subject


def test_invitation_needs_a_username_or_a_valid_email(api, project, member_of):
    client = api.as_user(member_of(project, Role.ADMIN))
    url = f"/api/v1/projects/{project.key}/members/"
    assert client.post(url, {}, format="json").json() == {"email": ["Give a username or an e-mail address."]}
    assert client.post(url, {"email": "not-an-address"}, format="json").json().keys() == {"email"}
    assert client.post(url, {"role": "boss", "username": "x"}, format="json").json().keys() == {"role"}
    assert Membership.objects.filter(project=project).count() == 1


@pytest.mark.parametrize(("role", "status"), [(Role.MEMBER, 403), (Role.VIEWER, 403), (None, 404)])
def test_only_admins_invite(api, project, member_of, user, role, status):
    client = api.as_user(member_of(project, role) if role else user)
    response = client.post(f"/api/v1/projects/{project.key}/members/", {"email": "x@example.com"}, format="json")
    assert response.status_code == status and not mail.outbox


# --- Workflow statuses: delete -------------------------------------------------------------


def statuses(project):
    return list(project.statuses.order_by("position").values_list("slug", flat=True))


def test_deleting_a_status_moves_its_tickets(api, project, member_of):
    client = api.as_user(member_of(project, Role.ADMIN))
    ticket = TicketFactory(project=project, status=project.statuses.get(slug="in_progress"))
    base = f"/api/v1/projects/{project.key}/statuses/in_progress/"
    refused = client.delete(base)
    assert refused.status_code == 400 and refused.json().keys() == {"move_to"}
    assert client.delete(f"{base}?move_to=todo").status_code == 204
    ticket.refresh_from_db()
    assert ticket.status.slug == "todo" and "in_progress" not in statuses(project)


def test_the_last_finished_status_stays(api, project, member_of):
    client = api.as_user(member_of(project, Role.ADMIN))
    response = client.delete(f"/api/v1/projects/{project.key}/statuses/done/")
    assert response.status_code == 400 and "finished" in response.json()["status"][0]
    assert "done" in statuses(project)
    assert client.delete(f"/api/v1/projects/{project.key}/statuses/nope/").status_code == 404


@pytest.mark.parametrize(("role", "status"), [(Role.MEMBER, 403), (Role.VIEWER, 403), (None, 404)])
def test_only_admins_delete_statuses(api, project, member_of, user, role, status):
    client = api.as_user(member_of(project, role) if role else user)
    assert client.delete(f"/api/v1/projects/{project.key}/statuses/todo/").status_code == status
    assert WorkflowStatus.objects.filter(project=project, slug="todo").exists()


# --- Comments: delete ------------------------------------------------------------------------


def comment_url(comment):
    return f"/api/v1/tickets/{comment.ticket.key}/comments/{comment.pk}/"


def test_the_author_deletes_a_comment_another_member_cannot(api, project, member_of):
    author, other = member_of(project, Role.MEMBER), member_of(project, Role.MEMBER)
    comment = services.comment_create(ticket=TicketFactory(project=project), author=author, body="hi")
    refused = api.as_user(other).delete(comment_url(comment))
    assert refused.status_code == 400 and refused.json().keys() == {"comment"}
    assert api.as_user(author).delete(comment_url(comment)).status_code == 204
    assert not Comment.objects.exists()


@pytest.mark.parametrize(("role", "status"), [(Role.ADMIN, 204), (Role.VIEWER, 403), (None, 404)])
def test_comment_delete_roles(api, project, member_of, user, role, status):
    comment = services.comment_create(
        ticket=TicketFactory(project=project), author=member_of(project, Role.MEMBER), body="hi"
    )
    client = api.as_user(member_of(project, role) if role else user)
    assert client.delete(comment_url(comment)).status_code == status
    assert client.delete(f"/api/v1/tickets/{comment.ticket.key}/comments/999999/").status_code == (
        404 if status != 403 else 403
    )


# --- Project templates: save as template, delete ---------------------------------------------


def test_admin_saves_the_project_as_a_template_and_starts_a_project_from_it(api, project, member_of):
    admin = member_of(project, Role.ADMIN)
    client = api.as_user(admin)
    project_services_status = project.statuses.get(slug="in_progress")
    project_services_status.name = "Doing"
    project_services_status.save()
    response = client.post(f"/api/v1/projects/{project.key}/save-as-template/", {"name": "Our flow"}, format="json")
    assert response.status_code == 201, response.json()
    template = response.json()
    assert template["name"] == "Our flow" and template["builtin"] is False
    assert template["id"] in {t["id"] for t in client.get("/api/v1/project-templates/").json()}
    created = client.post(
        "/api/v1/projects/", {"key": "NEWP", "name": "New", "template": template["id"]}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert "Doing" in {s["name"] for s in client.get("/api/v1/projects/NEWP/statuses/").json()}
    assert client.delete(f"/api/v1/project-templates/{template['id']}/").status_code == 204
    assert not ProjectTemplate.objects.exists()


def test_saving_a_template_checks_its_fields(api, project, member_of):
    client = api.as_user(member_of(project, Role.ADMIN))
    url = f"/api/v1/projects/{project.key}/save-as-template/"
    assert client.post(url, {}, format="json").json().keys() == {"name"}
    shared = client.post(url, {"name": "T", "shared": True}, format="json")
    assert shared.status_code == 400 and shared.json().keys() == {"shared"}  # staff only
    assert not ProjectTemplate.objects.exists()


@pytest.mark.parametrize(("role", "status"), [(Role.MEMBER, 403), (Role.VIEWER, 403), (None, 404)])
def test_only_admins_save_templates(api, project, member_of, user, role, status):
    client = api.as_user(member_of(project, role) if role else user)
    assert client.post(f"/api/v1/projects/{project.key}/save-as-template/", {"name": "T"}).status_code == status


def test_template_delete_permissions(api, project, member_of, user):
    admin = member_of(project, Role.ADMIN)
    template = services.project_template_save(project=project, user=admin, name="T")
    url = f"/api/v1/project-templates/{template.pk}/"
    assert api.as_user(member_of(project, Role.MEMBER)).delete(url).status_code == 403  # may use, not delete
    assert api.as_user(user).delete(url).status_code == 404  # may not even see it
    assert ProjectTemplate.objects.filter(pk=template.pk).exists()


# --- Notifications ------------------------------------------------------------------------------


def notify(recipient, project, n, *, read=False):
    from django.utils import timezone

    for i in range(n):
        Notification.objects.create(
            recipient=recipient,
            actor=UserFactory(),
            kind=Notification.Kind.MENTION,
            ticket=TicketFactory(project=project),
            excerpt=f"note {i}",
            read_at=timezone.now() if read else None,
        )


def test_notifications_list_filter_and_mark_read(api, project, user):
    notify(user, project, 2)
    notify(user, project, 1, read=True)
    notify(UserFactory(), project, 1)  # someone else's
    client = api.as_user(user)
    listing = client.get("/api/v1/notifications/").json()
    assert len(listing["results"]) == 3 and listing["next"] is None
    first = listing["results"][0]
    assert first["kind"] == "mention" and first["project"] == project.key and first["ticket"].startswith(project.key)
    unread = client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert len(unread) == 2 and not any(n["read"] for n in unread)
    marked = client.post("/api/v1/notifications/read/", {"ids": [unread[0]["id"]]}, format="json")
    assert marked.json() == {"marked": 1}
    assert client.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/?unread=true").json()["results"] == []


def test_marking_read_refuses_bad_ids_and_never_touches_others(api, project, user):
    other = UserFactory()
    notify(other, project, 1)
    client = api.as_user(user)
    assert client.post("/api/v1/notifications/read/", {"ids": ["x"]}, format="json").json().keys() == {"ids"}
    theirs = Notification.objects.get(recipient=other)
    assert client.post("/api/v1/notifications/read/", {"ids": [theirs.pk]}, format="json").json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api.credentials() or api.get("/api/v1/notifications/").status_code == 401


@pytest.mark.parametrize("size", [2, 30])
def test_notification_list_costs_constant_queries(api, user, size, django_assert_max_num_queries):
    notify(user, ProjectFactory(), size)
    client = api.as_user(user)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/notifications/").json()["results"]) == size


# --- Sprints: delete a planned sprint ----------------------------------------------------------


def test_deleting_a_planned_sprint_sends_its_tickets_to_the_backlog(api, project, member_of):
    from projects.models import Sprint
    from tests.projects.factories import SprintFactory

    sprint = SprintFactory(project=project)
    ticket = TicketFactory(project=project, sprint=sprint)
    client = api.as_user(member_of(project, Role.MEMBER))
    assert client.delete(f"/api/v1/sprints/{sprint.pk}/").status_code == 204
    ticket.refresh_from_db()
    assert ticket.sprint is None and not Sprint.objects.filter(pk=sprint.pk).exists()


def test_an_active_sprint_is_not_deleted(api, project, member_of):
    from tests.projects.factories import SprintFactory

    sprint = SprintFactory(project=project, state="active")
    response = api.as_user(member_of(project, Role.ADMIN)).delete(f"/api/v1/sprints/{sprint.pk}/")
    assert response.status_code == 400 and response.json().keys() == {"state"}


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (None, 404)])
def test_sprint_delete_roles(api, project, member_of, user, role, status):
    from projects.models import Sprint
    from tests.projects.factories import SprintFactory

    sprint = SprintFactory(project=project)
    client = api.as_user(member_of(project, role) if role else user)
    assert client.delete(f"/api/v1/sprints/{sprint.pk}/").status_code == status
    assert Sprint.objects.filter(pk=sprint.pk).exists()


# --- Ticket list ordering ---------------------------------------------------------------------


def test_ticket_list_orders_as_asked(api, project, member_of):
    client = api.as_user(member_of(project, Role.VIEWER))
    a = TicketFactory(project=project, estimate=5)
    b = TicketFactory(project=project, estimate=None)
    c = TicketFactory(project=project, estimate=1)
    url = f"/api/v1/projects/{project.key}/tickets/"

    def keys(ordering):
        return [t["key"] for t in client.get(url, {"ordering": ordering}).json()["results"]]

    assert keys("number") == [a.key, b.key, c.key] and keys("-number") == [c.key, b.key, a.key]
    assert keys("estimate") == [c.key, a.key, b.key] and keys("-estimate") == [a.key, c.key, b.key]
    assert keys("") == keys("rank")
    refused = client.get(url, {"ordering": "title; drop"})
    assert refused.status_code == 400 and refused.json().keys() == {"ordering"}


# --- Backlog multi-select: move to a sprint, bulk edit ------------------------------------------


def test_bulk_move_into_a_sprint_and_back(api, project, member_of):
    from tests.projects.factories import SprintFactory

    sprint = SprintFactory(project=project)
    tickets = TicketFactory.create_batch(3, project=project)
    client = api.as_user(member_of(project, Role.MEMBER))
    url = f"/api/v1/projects/{project.key}/tickets/bulk/"
    keys = [t.key for t in tickets[:2]]
    assert client.post(url, {"tickets": keys, "sprint": str(sprint.pk)}, format="json").json() == {
        "changed": 2,
        "refused": [],
    }
    assert sorted(sprint.tickets.values_list("key", flat=True)) == sorted(keys)
    assert client.post(url, {"tickets": keys, "sprint": "backlog"}, format="json").json()["changed"] == 2
    assert not sprint.tickets.exists()


def test_bulk_edit_sets_a_field_on_each(api, project, member_of):
    tickets = TicketFactory.create_batch(2, project=project, priority="low")
    client = api.as_user(member_of(project, Role.MEMBER))
    body = {"tickets": [t.key for t in tickets], "field": "priority", "value": "urgent"}
    answer = client.post(f"/api/v1/projects/{project.key}/tickets/bulk/", body, format="json")
    assert answer.json() == {"changed": 2, "refused": []}
    assert set(project.tickets.values_list("priority", flat=True)) == {"urgent"}
    bad = client.post(
        f"/api/v1/projects/{project.key}/tickets/bulk/",
        {"tickets": [tickets[0].key], "field": "status", "value": "nope"},
        format="json",
    ).json()
    assert bad["changed"] == 0 and bad["refused"][0].startswith(tickets[0].key)


def test_bulk_refusals_are_field_errors(api, project, member_of):
    ticket = TicketFactory(project=project)
    other = TicketFactory()  # another project's
    client = api.as_user(member_of(project, Role.MEMBER))
    url = f"/api/v1/projects/{project.key}/tickets/bulk/"
    assert client.post(url, {"tickets": []}, format="json").json().keys() == {"tickets"}
    assert client.post(url, {"tickets": [ticket.key]}, format="json").json().keys() == {"non_field_errors"}
    assert client.post(url, {"tickets": [other.key], "sprint": "backlog"}, format="json").json().keys() == {"tickets"}
    for sprint in ("42", "99999999999999999999", "soon"):
        answer = client.post(url, {"tickets": [ticket.key], "sprint": sprint}, format="json")
        assert answer.status_code == 400 and answer.json().keys() == {"sprint"}


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (None, 404)])
def test_bulk_roles(api, project, member_of, user, role, status):
    ticket = TicketFactory(project=project, priority="low")
    client = api.as_user(member_of(project, role) if role else user)
    body = {"tickets": [ticket.key], "field": "priority", "value": "high"}
    assert client.post(f"/api/v1/projects/{project.key}/tickets/bulk/", body, format="json").status_code == status
    ticket.refresh_from_db()
    assert ticket.priority == "low"

"""Joining and leaving a project: the added user is told in the app (issue 8, finding 12),
may leave by themselves whatever their role (its last admin may not), and a removed member
keeps no notification about the project's tickets (finding 11)."""

import pytest
from django.urls import reverse

from projects import services
from projects.models import Membership, Notification, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="LIFE", name="Life cycle")


# --- Added: an in-app notification --------------------------------------------------------


def test_adding_a_user_over_the_api_notifies_them(api, client, project):
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    newcomer = UserFactory(username="newcomer")
    response = api.as_user(admin).post(
        f"/api/v1/projects/{project.key}/members/", {"username": "newcomer", "role": "viewer"}, format="json"
    )
    assert response.status_code == 201
    notice = Notification.objects.get(recipient=newcomer)
    assert (notice.kind, notice.actor, notice.project) == ("added", admin, project)
    client.force_login(newcomer)
    page = client.get(reverse("projects:notifications")).content.decode()
    assert "added you to a project" in page and "LIFE" in page and "as viewer" in page
    assert 'aria-label="Notifications: 1 unread"' in page
    opened = client.get(reverse("projects:notification_open", args=[notice.pk]))
    assert opened.status_code == 302 and opened["Location"] == reverse("projects:hub", args=[project.key])


def test_adding_a_user_from_the_members_page_notifies_them(client, project):
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    newcomer = UserFactory(username="page-newcomer")
    client.force_login(admin)
    client.post(reverse("projects:members", args=[project.key]), {"username": "page-newcomer", "role": "member"})
    assert Notification.objects.filter(recipient=newcomer, kind="added", actor=admin, project=project).count() == 1
    assert not Notification.objects.filter(recipient=admin).exists()


# --- Removed: notifications about the project go --------------------------------------------


def test_removed_member_keeps_no_notification_of_the_project(api, project):
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    ticket = services.ticket_create(project=project, reporter=admin, title="Secret plan", assignee=member)
    services.comment_create(ticket=ticket, author=admin, body=f"@{member.username} the secret is 42")
    elsewhere = ProjectFactory()
    MembershipFactory(project=elsewhere, user=member, role=Role.MEMBER)
    other_ticket = services.ticket_create(project=elsewhere, reporter=None, title="Other work", assignee=member)
    assert Notification.objects.filter(recipient=member, ticket=ticket).count() == 2
    response = api.as_user(admin).delete(f"/api/v1/projects/{project.key}/members/{member.username}/")
    assert response.status_code == 204
    assert list(Notification.objects.filter(recipient=member).values_list("ticket", flat=True)) == [other_ticket.pk]


# --- Leaving ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER, Role.ADMIN])
def test_any_member_may_leave_over_the_api(api, project, role):
    MembershipFactory(project=project, role=Role.ADMIN)
    user = MembershipFactory(project=project, role=role).user
    response = api.as_user(user).delete(f"/api/v1/projects/{project.key}/members/{user.username}/")
    assert response.status_code == 204
    assert not Membership.objects.filter(project=project, user=user).exists()
    assert api.get(f"/api/v1/projects/{project.key}/").status_code == 404


def test_a_viewer_still_cannot_remove_someone_else(api, project):
    other = MembershipFactory(project=project, role=Role.MEMBER).user
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    assert api.as_user(viewer).delete(f"/api/v1/projects/{project.key}/members/{other.username}/").status_code == 403
    assert Membership.objects.filter(project=project, user=other).exists()


def test_the_last_admin_cannot_leave(api, client, project):
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    MembershipFactory(project=project, role=Role.MEMBER)
    response = api.as_user(admin).delete(f"/api/v1/projects/{project.key}/members/{admin.username}/")
    assert response.status_code == 400
    assert response.json() == {
        "role": ["You are the last admin of LIFE: make someone else admin first, or delete the project."]
    }
    client.force_login(admin)
    page = client.post(reverse("projects:leave", args=[project.key]))
    assert page.status_code == 400 and "You are the last admin of LIFE" in page.content.decode()
    assert Membership.objects.filter(project=project, user=admin, role=Role.ADMIN).exists()


def test_leaving_from_the_page_after_confirming(client, project):
    MembershipFactory(project=project, role=Role.ADMIN)
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    client.force_login(viewer)
    leave_url = reverse("projects:leave", args=[project.key])
    for page in ("hub", "members"):
        assert leave_url in client.get(reverse(f"projects:{page}", args=[project.key])).content.decode()
    confirm = client.get(leave_url)
    assert confirm.status_code == 200 and "Leave LIFE · Life cycle?" in confirm.content.decode()
    assert Membership.objects.filter(project=project, user=viewer).exists()  # a GET changes nothing
    done = client.post(leave_url, follow=True)
    assert done.redirect_chain[-1][0] == reverse("projects:list")
    assert "You left LIFE." in done.content.decode()
    assert client.get(reverse("projects:hub", args=[project.key])).status_code == 404
    assert client.get(leave_url).status_code == 404

import pytest
from django.urls import reverse

from projects.models import Membership, Project, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, settings_form_data

pytestmark = pytest.mark.django_db


def test_create_project_from_the_form(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("projects:create"),
        {
            "key": "cv",
            "name": "Vision",
            "description": "",
            "objectives": "",
            "phase": "plan",
            "board_mode": "scrum",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("projects:hub", args=["CV"])
    hub = client.get(response["Location"]).content.decode()
    assert "Vision" in hub and "Edit project" in hub


@pytest.mark.parametrize(
    "key,message",
    [
        ("1X", "2 to 10 capital letters"),
        ("TAKEN", "taken by another project"),
    ],
)
def test_bad_or_duplicate_key_is_shown_in_the_page(client, key, message):
    ProjectFactory(key="TAKEN")
    client.force_login(UserFactory())
    response = client.post(
        reverse("projects:create"),
        {
            "key": key,
            "name": "X",
            "phase": "define",
            "board_mode": "scrum",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Project.objects.count() == 1


@pytest.mark.parametrize("name", ["projects:hub", "projects:members", "projects:settings"])
def test_non_member_gets_404_on_every_page(client, name):
    project = ProjectFactory()
    client.force_login(UserFactory())
    assert client.get(reverse(name, args=[project.key])).status_code == 404


def test_viewer_reads_but_sees_no_edit_controls_and_cannot_write(client):
    project = ProjectFactory()
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    other = MembershipFactory(project=project, role=Role.MEMBER)
    client.force_login(viewer)
    hub = client.get(reverse("projects:hub", args=[project.key])).content.decode()
    assert project.name in hub and "Edit project" not in hub and "read only" in hub
    members = client.get(reverse("projects:members", args=[project.key])).content.decode()
    assert "Add member" not in members and "Remove" not in members
    assert client.get(reverse("projects:settings", args=[project.key])).status_code == 403
    assert (
        client.post(reverse("projects:members", args=[project.key]), {"username": "x", "role": "admin"}).status_code
        == 403
    )
    assert client.post(reverse("projects:member_remove", args=[project.key, other.pk])).status_code == 403
    assert Membership.objects.filter(pk=other.pk).exists()


def test_admin_adds_member_changes_role_and_removes(client):
    project = ProjectFactory()
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    newcomer = UserFactory(username="newcomer")
    client.force_login(admin)
    client.post(reverse("projects:members", args=[project.key]), {"username": "newcomer", "role": "viewer"})
    membership = Membership.objects.get(project=project, user=newcomer)
    assert membership.role == Role.VIEWER
    client.post(reverse("projects:member_role", args=[project.key, membership.pk]), {"role": "member"})
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    client.post(reverse("projects:member_remove", args=[project.key, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_inviting_unknown_username_without_email_is_a_form_error(client):
    project = ProjectFactory()
    client.force_login(MembershipFactory(project=project, role=Role.ADMIN).user)
    response = client.post(reverse("projects:members", args=[project.key]), {"username": "ghost", "role": "member"})
    assert "No user named ghost" in response.content.decode()


def test_settings_save_and_delete_needs_the_key_typed(client):
    project = ProjectFactory()
    client.force_login(MembershipFactory(project=project, role=Role.ADMIN).user)
    client.post(
        reverse("projects:settings", args=[project.key]),
        settings_form_data(
            project, name="New name", description="Hello", objectives="", phase="data", board_mode="kanban"
        ),
    )
    project.refresh_from_db()
    assert (project.name, project.phase, project.board_mode) == ("New name", "data", "kanban")
    client.post(reverse("projects:delete", args=[project.key]), {"confirm_key": "nope"})
    assert Project.objects.filter(pk=project.pk).exists()
    client.post(reverse("projects:delete", args=[project.key]), {"confirm_key": project.key})
    assert not Project.objects.filter(pk=project.pk).exists()


def test_description_markdown_is_sanitized_in_the_hub(client):
    project = ProjectFactory(description="hi")
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    client.force_login(admin)
    client.post(
        reverse("projects:settings", args=[project.key]),
        settings_form_data(
            project,
            name="X",
            description='<img src=x onerror="alert(1)"> [a](javascript:alert(1)) <script>alert(2)</script>',
            objectives="",
            phase="plan",
            board_mode="scrum",
        ),
    )
    page = client.get(reverse("projects:hub", args=[project.key])).content.decode()
    assert "onerror" not in page and "javascript:alert" not in page and "<script>alert(2)" not in page


def test_project_list_and_hub_cost_constant_queries(client, django_assert_max_num_queries):
    user = UserFactory()
    client.force_login(user)
    for _ in range(2):
        MembershipFactory(user=user)
    with django_assert_max_num_queries(6):
        client.get(reverse("projects:list"))
    projects = [MembershipFactory(user=user).project for _ in range(25)]
    for p in projects[:3]:
        for _ in range(10):
            MembershipFactory(project=p)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("projects:list")).status_code == 200
    # The hub's own budget (with its health badge and lifecycle) is in test_views_hub_queries.py.
    with django_assert_max_num_queries(12):
        assert client.get(reverse("projects:hub", args=[projects[0].key])).status_code == 200

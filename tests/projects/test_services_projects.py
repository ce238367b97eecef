import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from projects import services
from projects.access import Action, can, project_for, projects_for
from projects.models import Membership, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_create_project_gives_default_workflow_and_admin_role():
    creator = UserFactory()
    project = services.project_create(
        creator=creator, key="CV", name="Vision", description="<script>x</script>**bold**"
    )
    assert list(project.statuses.values_list("slug", flat=True)) == ["todo", "in_progress", "in_review", "done"]
    assert project.statuses.get(slug="done").is_finished
    assert Membership.objects.get(project=project, user=creator).role == Role.ADMIN
    assert "<strong>bold</strong>" in project.description_html
    assert "<script" not in project.description_html


@pytest.mark.parametrize("key", ["c", "cv", "1CV", "TOOLONGKEY1", "C-V", ""])
def test_bad_keys_are_refused_with_a_message(key):
    with pytest.raises(ValidationError) as error:
        services.project_create(creator=UserFactory(), key=key, name="X")
    assert "key" in error.value.message_dict


def test_duplicate_key_is_refused():
    services.project_create(creator=UserFactory(), key="NLP", name="One")
    with pytest.raises(ValidationError) as error:
        services.project_create(creator=UserFactory(), key="NLP", name="Two")
    assert "taken" in error.value.message_dict["key"][0]


def test_last_admin_cannot_leave_or_be_demoted():
    project = ProjectFactory()
    admin = MembershipFactory(project=project, role=Role.ADMIN)
    with pytest.raises(ValidationError):
        services.membership_change_role(membership=admin, role=Role.MEMBER)
    with pytest.raises(ValidationError):
        services.membership_remove(membership=admin)
    MembershipFactory(project=project, role=Role.ADMIN)
    services.membership_remove(membership=admin)
    assert not Membership.objects.filter(pk=admin.pk).exists()


def test_invite_by_email_creates_a_user_who_sets_a_password(django_capture_on_commit_callbacks):
    project = ProjectFactory(name="Churn model")
    inviter = MembershipFactory(project=project, role=Role.ADMIN).user
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_invite(
            project=project,
            inviter=inviter,
            role=Role.VIEWER,
            email="Stake.Holder@Example.com",
            base_url="http://testserver",
        )
    assert membership.role == Role.VIEWER
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "Churn model" in mail.outbox[0].subject
    assert "http://testserver/accounts/reset/" in mail.outbox[0].body


def test_invite_twice_is_refused():
    project = ProjectFactory()
    user = UserFactory()
    services.membership_add(project=project, user=user, role=Role.MEMBER)
    with pytest.raises(ValidationError, match="already a member"):
        services.membership_add(project=project, user=user, role=Role.MEMBER)


def test_access_module_answers_per_role():
    project = ProjectFactory()
    roles = {role: MembershipFactory(project=project, role=role).user for role in Role.values}
    outsider = UserFactory()
    MembershipFactory(project=ProjectFactory(), user=outsider, role=Role.ADMIN)
    for role, user in roles.items():
        scoped = project_for(user, project.key)
        assert scoped.user_role == role
        assert can(scoped, Action.VIEW)
        assert can(scoped, Action.EDIT) == (role != Role.VIEWER)
        assert can(scoped, Action.ADMIN) == (role == Role.ADMIN)
    assert project not in projects_for(outsider)
    from django.http import Http404

    with pytest.raises(Http404):
        project_for(outsider, project.key)


def test_role_annotation_is_the_callers_own_among_many_members():
    project = ProjectFactory()
    for role in [Role.ADMIN, Role.MEMBER, Role.ADMIN]:
        MembershipFactory(project=project, role=role)
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    assert [p.user_role for p in projects_for(viewer)] == [Role.VIEWER]

"""The projects API, with the role matrix over every endpoint: a non-member gets 404,
a viewer 403 on writes, a member what work needs, an admin everything."""

import pytest

from projects.models import Membership, Project, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ROLES = ["outsider", Role.VIEWER, Role.MEMBER, Role.ADMIN]


def caller(project, role):
    if role == "outsider":
        user = UserFactory()
        MembershipFactory(user=user, role=Role.ADMIN)  # an admin elsewhere is still an outsider here
        return user
    return MembershipFactory(project=project, role=role).user


# (method, path, body, expected status per role: outsider, viewer, member, admin)
MATRIX = [
    ("get", "/api/v1/projects/{key}/", None, (404, 200, 200, 200)),
    ("patch", "/api/v1/projects/{key}/", {"name": "Renamed"}, (404, 403, 403, 200)),
    ("get", "/api/v1/projects/{key}/members/", None, (404, 200, 200, 200)),
    ("post", "/api/v1/projects/{key}/members/", {"username": "{newcomer}", "role": "member"}, (404, 403, 403, 201)),
    ("get", "/api/v1/projects/{key}/members/{other}/", None, (404, 200, 200, 200)),
    ("patch", "/api/v1/projects/{key}/members/{other}/", {"role": "viewer"}, (404, 403, 403, 200)),
    ("delete", "/api/v1/projects/{key}/members/{other}/", None, (404, 403, 403, 204)),
    ("delete", "/api/v1/projects/{key}/", None, (404, 403, 403, 204)),
]


@pytest.mark.parametrize("method,path,body,expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
@pytest.mark.parametrize("role_index", range(4), ids=ROLES)
def test_permission_matrix(api, method, path, body, expected, role_index):
    project = ProjectFactory()
    other = MembershipFactory(project=project, role=Role.MEMBER).user
    newcomer = UserFactory()
    user = caller(project, ROLES[role_index])
    fill = {"key": project.key, "other": other.username, "newcomer": newcomer.username}
    data = {k: v.format(**fill) if isinstance(v, str) else v for k, v in (body or {}).items()}
    response = getattr(api.as_user(user), method)(path.format(**fill), data or None, format="json")
    assert response.status_code == expected[role_index], response.content
    if response.status_code in (403, 404):
        assert Project.objects.filter(pk=project.pk, name=project.name).exists()
        assert Membership.objects.filter(project=project, user=other, role=Role.MEMBER).exists()


def test_list_holds_only_my_projects(api):
    mine = MembershipFactory(role=Role.VIEWER)
    ProjectFactory(key="HIDDEN")
    body = api.as_user(mine.user).get("/api/v1/projects/").json()
    assert [p["key"] for p in body["results"]] == [mine.project.key]
    assert body["results"][0]["role"] == "viewer"
    assert body["next"] is None


def test_create_makes_the_caller_admin(api):
    user = UserFactory()
    response = api.as_user(user).post("/api/v1/projects/", {"key": "CV", "name": "Vision"}, format="json")
    assert response.status_code == 201
    assert response.json()["role"] == "admin"
    assert Membership.objects.get(project__key="CV", user=user).role == Role.ADMIN


@pytest.mark.parametrize(
    "body,field",
    [
        ({"key": "cv", "name": "Lower"}, "key"),
        ({"key": "C", "name": "Short"}, "key"),
        ({"name": "No key"}, "key"),
        ({"key": "OK1"}, "name"),
        ({"key": "OK2", "name": "x", "phase": "dreaming"}, "phase"),
    ],
)
def test_bad_input_is_400_with_field_errors(api, body, field):
    response = api.as_user(UserFactory()).post("/api/v1/projects/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_duplicate_key_is_400(api):
    ProjectFactory(key="DUP")
    response = api.as_user(UserFactory()).post("/api/v1/projects/", {"key": "DUP", "name": "Again"}, format="json")
    assert response.status_code == 400
    assert "taken" in response.json()["key"][0]


def test_adding_unknown_user_or_existing_member_is_400(api):
    admin = MembershipFactory(role=Role.ADMIN)
    client = api.as_user(admin.user)
    url = f"/api/v1/projects/{admin.project.key}/members/"
    assert client.post(url, {"username": "ghost"}, format="json").json() == {
        "username": ["No user named ghost: invite them by e-mail."]
    }
    assert client.post(url, {"username": admin.user.username}, format="json").status_code == 400


def test_members_list_is_paginated(api):
    project = ProjectFactory()
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    for _ in range(5):
        MembershipFactory(project=project)
    body = api.as_user(admin).get(f"/api/v1/projects/{project.key}/members/?page_size=2").json()
    assert len(body["results"]) == 2 and body["next"]


def test_last_admin_cannot_be_demoted_over_the_api(api):
    admin = MembershipFactory(role=Role.ADMIN)
    url = f"/api/v1/projects/{admin.project.key}/members/{admin.user.username}/"
    response = api.as_user(admin.user).patch(url, {"role": "viewer"}, format="json")
    assert response.status_code == 400 and "role" in response.json()


def test_project_list_costs_constant_queries(api, django_assert_max_num_queries):
    user = UserFactory()
    client = api.as_user(user)
    for _ in range(3):
        MembershipFactory(user=user)
    with django_assert_max_num_queries(4):
        client.get("/api/v1/projects/")
    for _ in range(30):
        MembershipFactory(user=user)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/projects/").json()["results"]) == 33

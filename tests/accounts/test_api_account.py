"""The caller's own account over REST: profile and personal access tokens, as the Profile
and API tokens pages."""

import pytest

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_read_and_change_the_profile(api, user):
    client = api.as_user(user)
    assert client.get("/api/v1/me/").json()["username"] == user.username
    response = client.patch("/api/v1/me/", {"display_name": " Ada L. ", "email": "ada@example.com"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"username": user.username, "display_name": "Ada L.", "email": "ada@example.com"}
    user.refresh_from_db()
    assert user.display_name == "Ada L." and user.email == "ada@example.com"
    assert client.patch("/api/v1/me/", {"display_name": "Ada"}, format="json").json()["email"] == "ada@example.com"


def test_bad_profile_input_is_a_field_error(api, user):
    client = api.as_user(user)
    assert client.patch("/api/v1/me/", {"email": "nope"}, format="json").json().keys() == {"email"}
    assert client.patch("/api/v1/me/", {"display_name": "x" * 151}, format="json").json().keys() == {"display_name"}


def test_create_list_use_and_revoke_a_token(api, user):
    client = api.as_user(user)
    created = client.post("/api/v1/tokens/", {"name": "CI uploader"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["token"].startswith("aih_") and body["hint"] == body["token"][:10] and body["active"] is True
    listing = client.get("/api/v1/tokens/").json()
    assert {t["name"] for t in listing["results"]} == {"tests", "CI uploader"}
    assert all("token" not in t for t in listing["results"]) and listing["next"] is None
    assert ApiToken.objects.get(pk=body["id"]).token_hash != body["token"]  # only the hash is kept
    fresh = api.__class__()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert fresh.get("/api/v1/me/").status_code == 200
    assert client.delete(f"/api/v1/tokens/{body['id']}/").status_code == 204
    assert fresh.get("/api/v1/me/").status_code == 401
    assert client.delete(f"/api/v1/tokens/{body['id']}/").status_code == 204  # revoking again changes nothing


def test_token_needs_a_name(api, user):
    client = api.as_user(user)
    assert client.post("/api/v1/tokens/", {}, format="json").json().keys() == {"name"}
    assert client.post("/api/v1/tokens/", {"name": "x" * 101}, format="json").json().keys() == {"name"}
    assert ApiToken.objects.filter(user=user).count() == 1


def test_someone_elses_token_is_404(api, user):
    other = UserFactory()
    theirs, _ = api_token_create(user=other, name="theirs")
    client = api.as_user(user)
    assert client.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert theirs.pk not in {t["id"] for t in client.get("/api/v1/tokens/").json()["results"]}


def test_anonymous_is_401(api):
    assert api.get("/api/v1/tokens/").status_code == 401
    assert api.post("/api/v1/tokens/", {"name": "x"}).status_code == 401


@pytest.mark.parametrize("size", [1, 25])
def test_token_list_costs_constant_queries(api, user, size, django_assert_max_num_queries):
    for i in range(size):
        api_token_create(user=user, name=f"t{i}")
    client = api.as_user(user)
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/tokens/?page_size=100").json()["results"]) == size + 1

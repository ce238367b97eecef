import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_is_stored_only_as_its_hash():
    user = UserFactory()
    token, raw = api_token_create(user=user, name="ci")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.token_hash, stored.hint, stored.name}
    assert raw.startswith(stored.hint)


def test_bearer_token_authenticates_and_revoked_token_is_refused(api):
    user = UserFactory()
    token, raw = api_token_create(user=user, name="ci")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/projects/").status_code == 200
    api_token_revoke(token=token)
    response = api.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer", "Bearer a b"])
def test_bad_credentials_are_401(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    assert api.get("/api/v1/projects/").status_code == 401


def test_no_credentials_is_401(api):
    assert api.get("/api/v1/projects/").status_code == 401


def test_command_prints_the_raw_token_alone_on_its_last_line(api):
    user = UserFactory(username="alice")
    out = StringIO()
    call_command("create_api_token", "alice", "--name", "laptop", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert ApiToken.objects.get(user=user).name == "laptop"
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/projects/").status_code == 200


def test_command_refuses_unknown_user():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("create_api_token", "ghost")


def test_tokens_page_creates_shows_once_and_revokes(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:tokens"), {"name": "notebook"})
    raw = response.context["new_token"]
    assert raw and raw in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.token_hash == ApiToken.hash(raw)
    listing = client.get(reverse("accounts:tokens")).content.decode()
    assert "notebook" in listing and raw not in listing
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(client):
    token, _ = api_token_create(user=UserFactory(), name="theirs")
    client.force_login(UserFactory())
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_empty_token_name_is_a_form_error(client):
    client.force_login(UserFactory())
    response = client.post(reverse("accounts:tokens"), {"name": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()

"""The bearer token lookup every API request makes (accounts.selectors.api_token_active):
the same token and user the ORM's select_related query reads, in one statement written
once per process."""

import datetime

import pytest

from accounts.models import ApiToken
from accounts.selectors import api_token_active
from accounts.services import api_token_create, api_token_revoke
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_reads_what_the_orm_reads(django_assert_num_queries):
    user = UserFactory(display_name="Ada", first_name="Ada", last_name="L", is_staff=True)
    user.last_login = datetime.datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=datetime.UTC)
    user.save()
    token, raw = api_token_create(user=user, name="ci")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC))
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)

    with django_assert_num_queries(1):
        found = api_token_active(token_hash=ApiToken.hash(raw))
        assert found.user.username == user.username  # loaded with the token: no second query

    for model, ours, theirs in ((ApiToken, found, expected), (type(user), found.user, expected.user)):
        for field in model._meta.concrete_fields:
            assert getattr(ours, field.attname) == getattr(theirs, field.attname), field.name
        assert ours._state.adding is False and ours._state.db == theirs._state.db
    assert found.last_used_at.tzinfo is not None and found.user.date_joined.tzinfo is not None
    assert found.user.check_password("x") == expected.user.check_password("x")


def test_unknown_and_revoked_tokens_are_not_found():
    token, raw = api_token_create(user=UserFactory(), name="ci")
    assert api_token_active(token_hash=ApiToken.hash(raw + "x")) is None
    api_token_revoke(token=token)
    assert api_token_active(token_hash=ApiToken.hash(raw)) is None


def test_an_api_request_compiles_no_query_to_authenticate(api, monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    user = UserFactory()
    client = api.as_user(user)
    assert client.get("/api/v1/projects/").status_code == 200  # the token's use is recorded once a minute
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model.__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    assert client.get("/api/v1/projects/").status_code == 200
    assert "ApiToken" not in compiled and "User" not in compiled, compiled

"""Limits on signing in (the sign-in page and /admin/login/) and on password reset e-mails."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-w0rd-long"


def test_admin_login_locks_out_after_the_sign_in_pages_limit(client, settings):
    settings.AIHUB_LOGIN_FAILURES_PER_USERNAME = 10
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(15):
        response = client.post("/admin/login/", {"username": "root", "password": "wrong"})
        assert response.status_code in {200, 429}
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still signed out


def test_failures_on_the_admin_login_count_for_the_sign_in_page(client, settings):
    settings.AIHUB_LOGIN_FAILURES_PER_USERNAME = 3
    UserFactory(username="root", is_staff=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "root", "password": PASSWORD})
    assert response.status_code == 429


def test_one_try_for_each_of_many_usernames_is_limited_per_address(client, settings):
    settings.AIHUB_LOGIN_FAILURES_PER_ADDRESS = 5
    UserFactory(username="victim")
    for n in range(5):
        assert client.post(reverse("login"), {"username": f"user{n}", "password": "Spring2026!"}).status_code == 200
    response = client.post(reverse("login"), {"username": "victim", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins from this address" in response.content.decode()
    # Another address is not affected.
    other = client.post(reverse("login"), {"username": "victim", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_password_reset_sends_at_most_the_accounts_share_and_answers_the_same(client, settings):
    settings.AIHUB_PASSWORD_RESETS_PER_ACCOUNT = 2
    UserFactory(email="reset@example.com")
    answers = [
        client.post(reverse("password_reset"), {"email": "reset@example.com"}, REMOTE_ADDR=f"10.0.1.{n}")
        for n in range(5)
    ]
    assert len(mail.outbox) == 2
    # Beyond the limit the page says exactly what it says for an address with no account.
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, REMOTE_ADDR="10.0.1.99")
    assert {a.status_code for a in answers} == {302} and unknown.status_code == 302
    assert {a["Location"] for a in answers} == {unknown["Location"]}


def test_password_reset_requests_are_limited_per_address(client, settings):
    settings.AIHUB_PASSWORD_RESETS_PER_ADDRESS = 3
    for n in range(3):
        UserFactory(email=f"u{n}@example.com")
        assert client.post(reverse("password_reset"), {"email": f"u{n}@example.com"}).status_code == 302
    UserFactory(email="late@example.com")
    response = client.post(reverse("password_reset"), {"email": "late@example.com"})
    assert response.status_code == 429
    assert "Too many password reset requests from this address" in response.content.decode()
    assert len(mail.outbox) == 3


def test_a_rotating_forwarded_for_header_does_not_reset_the_sign_in_limit(client, settings):
    settings.AIHUB_LOGIN_FAILURES_PER_USERNAME = 3
    UserFactory(username="ada")
    for n in range(3):
        client.post(reverse("login"), {"username": "ada", "password": "nope"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = client.post(
        reverse("login"), {"username": "ada", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.77"
    )
    assert response.status_code == 429

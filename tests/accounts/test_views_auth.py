import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sign_in_and_out(client):
    UserFactory(username="ada")
    response = client.post(reverse("login"), {"username": "ada", "password": "pass-w0rd-long"})
    assert response.status_code == 302
    assert client.get(reverse("projects:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("projects:list")).status_code == 302


def test_wrong_password_shows_an_error_in_the_page(client):
    UserFactory(username="ada")
    response = client.post(reverse("login"), {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_repeated_failed_sign_ins_are_throttled(client):
    UserFactory(username="ada")
    for _ in range(10):
        client.post(reverse("login"), {"username": "ada", "password": "nope"})
    response = client.post(reverse("login"), {"username": "ada", "password": "pass-w0rd-long"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()


def test_pages_need_sign_in(client):
    response = client.get(reverse("projects:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_signup_is_off_by_default(client):
    assert client.get(reverse("signup")).status_code == 404
    assert "ask a project admin" in client.get(reverse("login")).content.decode().lower()


@override_settings(AIHUB_SIGNUP_ENABLED=True)
def test_signup_when_switched_on(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "n@example.com",
            "display_name": "New Bie",
            "password1": "a-long-enough-pass-42",
            "password2": "a-long-enough-pass-42",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).context["user"].display_name == "New Bie"


def test_profile_saves_display_name_and_rejects_bad_email(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("accounts:profile"), {"display_name": "Grace H.", "email": "grace@example.com"})
    user.refresh_from_db()
    assert user.display_name == "Grace H."
    response = client.post(reverse("accounts:profile"), {"display_name": "x", "email": "not-an-email"})
    assert "Enter a valid email address" in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == "Grace H."


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pass-w0rd-long",
            "new_password1": "another-long-pass-99",
            "new_password2": "another-long-pass-99",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-pass-99")


def test_password_reset_sends_a_link(client):
    UserFactory(email="reset@example.com")
    client.post(reverse("password_reset"), {"email": "reset@example.com"})
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body

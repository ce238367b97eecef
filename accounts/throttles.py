"""Limits on signing in and on password reset e-mails, shared by the sign-in page and
`/admin/login/`. Counted with `aihub.throttling` (atomic in Redis, per process while Redis
is down), by the address `client_ip` trusts.

- Failed sign-ins per address and username: guessing one account's password is slowed,
  other people behind the same address still sign in.
- Failed sign-ins per address, whatever the username: one try for each of many accounts
  (password spraying) is stopped too.
- Password reset requests per address (the page says so), and reset e-mails per account
  (beyond the limit nothing is sent, and the page says the same as always, so it tells
  nobody whether the address has an account).
"""

import hashlib

from django.conf import settings

from aihub.throttling import client_ip, count, hit

LOCKED_MESSAGE = "Too many failed sign-ins from this address. Try again in {minutes} minutes."
RESET_LOCKED_MESSAGE = "Too many password reset requests from this address. Try again in {minutes} minutes."


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _username_key(request, username: str) -> str:
    return f"{client_ip(request)}:{_digest((username or '').strip().lower()[:150])}"


def login_locked(request, username: str) -> bool:
    """True once this address has failed too often, for this username or in all."""
    ip = client_ip(request)
    return (
        count("login-failures-user", _username_key(request, username)) >= settings.AIHUB_LOGIN_FAILURES_PER_USERNAME
        or count("login-failures-address", ip) >= settings.AIHUB_LOGIN_FAILURES_PER_ADDRESS
    )


def login_failed(request, username: str) -> None:
    window = settings.AIHUB_LOGIN_FAILURE_WINDOW
    hit(
        "login-failures-user",
        _username_key(request, username),
        limit=settings.AIHUB_LOGIN_FAILURES_PER_USERNAME,
        window=window,
    )
    hit("login-failures-address", client_ip(request), limit=settings.AIHUB_LOGIN_FAILURES_PER_ADDRESS, window=window)


def login_locked_message() -> str:
    return LOCKED_MESSAGE.format(minutes=max(1, settings.AIHUB_LOGIN_FAILURE_WINDOW // 60))


def password_reset_requested(request) -> bool:
    """Count a reset request from this address; False once the address asked too often."""
    return hit(
        "password-reset-address",
        client_ip(request),
        limit=settings.AIHUB_PASSWORD_RESETS_PER_ADDRESS,
        window=settings.AIHUB_PASSWORD_RESET_WINDOW,
    ).allowed


def password_reset_locked_message() -> str:
    return RESET_LOCKED_MESSAGE.format(minutes=max(1, settings.AIHUB_PASSWORD_RESET_WINDOW // 60))


def password_reset_mail_allowed(user) -> bool:
    """Count a reset e-mail for this account; False once it had its share in the window."""
    return hit(
        "password-reset-account",
        str(user.pk),
        limit=settings.AIHUB_PASSWORD_RESETS_PER_ACCOUNT,
        window=settings.AIHUB_PASSWORD_RESET_WINDOW,
    ).allowed

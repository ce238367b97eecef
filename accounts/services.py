import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import ApiToken

User = get_user_model()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the token a name."]})
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:100], token_hash=ApiToken.hash(raw), hint=raw[:10])
    token.full_clean()
    token.save()
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_profile_update(*, user: User, display_name: str, email: str) -> User:
    user.display_name = display_name.strip()
    user.email = email.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "email"])
    return user


@transaction.atomic
def user_invite(*, email: str, username: str = "") -> tuple[User, bool]:
    """Find the user with this e-mail or username, or create one with no usable password
    (they set it through the invitation link). Returns (user, created)."""
    email = email.strip().lower()
    username = (username or email.split("@")[0]).strip()
    existing = User.objects.filter(email__iexact=email).first() if email else None
    if existing:
        return existing, False
    if not email or "@" not in email:
        raise ValidationError({"email": ["Enter a valid e-mail address."]})
    base, n = username or "user", 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}{n}"
    user = User(username=username, email=email)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user, True

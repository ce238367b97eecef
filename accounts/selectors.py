from .models import ApiToken


def api_tokens_of(*, user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at"))

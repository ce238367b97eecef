import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_default_rate_allows_integration_bursts():
    num, period = UserRateThrottle().parse_rate(api_settings.DEFAULT_THROTTLE_RATES["user"])
    assert num / period * 60 >= 1000


def test_a_caller_over_the_rate_gets_429(api, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "3/min")
    client = api.as_user(UserFactory())
    codes = [client.get("/api/v1/projects/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# --- The client's address: X-Forwarded-For only from trusted proxies ---------------------


def _request(remote, forwarded=None):
    from django.test import RequestFactory

    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_unless_the_connection_comes_from_a_trusted_proxy(settings):
    from aihub.throttling import client_ip

    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("198.51.100.7", "203.0.113.1")) == "198.51.100.7"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("198.51.100.7", "203.0.113.1")) == "198.51.100.7"  # not from our proxy
    # From our proxy: the nearest address that is not one of ours, read from the right, so a
    # client's own "X-Forwarded-For: 1.2.3.4" in front of its real address changes nothing.
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.2", "203.0.113.9, 10.0.0.3")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.2", "not-an-ip, 10.0.0.3")) == "10.0.0.3"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"


def test_a_rotating_forwarded_for_does_not_escape_the_anonymous_limit(client, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "anon", "3/min")
    codes = [client.get("/api/schema/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_anonymous_limit(client, monkeypatch, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "anon", "1/min")
    assert client.get("/api/schema/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get("/api/schema/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert client.get("/api/schema/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


# --- Counting under concurrency, in the real Redis --------------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_pass_the_per_user_limit(settings, monkeypatch):
    import threading
    import uuid

    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.services import api_token_create
    from aihub.throttling import reset_redis_state
    from tests.services import require_redis

    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"throttle-{uuid.uuid4().hex[:8]}",
        }
    }
    reset_redis_state()
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "50/min")
    _, raw = api_token_create(user=UserFactory(), name="load")
    codes, lock = [], threading.Lock()

    def caller():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        try:
            for _ in range(40):
                code = api.get("/api/v1/projects/").status_code
                with lock:
                    codes.append(code)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 160
    assert codes.count(200) == 50 and codes.count(429) == 110

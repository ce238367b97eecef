"""/readyz is open to anyone (load balancers ask anonymously): it names the failed check
and nothing more, unless the caller is staff (issue 8, finding 11: it showed the Redis
host and port)."""

import pytest
from django.test import override_settings

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@override_settings(REDIS_URL=DOWN)
@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_readyz_names_the_failed_check_only(client, who):
    if who == "user":
        client.force_login(UserFactory())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "checks": {"database": "ok", "redis": "fail"}}
    assert b"127.0.0.1" not in response.content and b"Error" not in response.content


@override_settings(REDIS_URL=DOWN)
def test_staff_see_why_a_check_failed(client):
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/readyz")
    assert response.status_code == 503
    detail = response.json()["checks"]["redis"]
    assert detail != "fail" and "127.0.0.1" in detail and "Connection" in detail

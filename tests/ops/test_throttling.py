import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_default_rate_allows_integration_bursts():
    num, period = UserRateThrottle().parse_rate(api_settings.DEFAULT_THROTTLE_RATES["user"])
    assert num / period * 60 >= 1000


def test_a_caller_over_the_rate_gets_429(api, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "3/min")
    client = api.as_user(UserFactory())
    codes = [client.get("/api/v1/projects/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]

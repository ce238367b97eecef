"""Redis stopped under an open board: the page says live updates are paused, and once Redis
is back the notice goes and what changed meanwhile appears without a reload."""

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import Role
from tests.ops.redis_server import redis_cache_settings
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_board_says_live_updates_are_paused_while_redis_is_down(signed_in_page, live_server, settings, private_redis):
    settings.CACHES = redis_cache_settings(private_redis, "live-paused")
    settings.REDIS_URL = private_redis.url()
    page, user = signed_in_page
    project = ProjectFactory(key="CV", name="Vision", board_mode="kanban")
    MembershipFactory(project=project, user=user, role=Role.ADMIN)
    page.goto(f"{live_server.url}/projects/{project.key}/board/")
    notice = page.locator("#live")
    expect(notice).to_be_hidden()

    private_redis.stop()
    expect(notice).to_be_visible(timeout=15000)
    expect(notice).to_contain_text("Live updates paused")
    # Written while nothing can be announced.
    ticket = services.ticket_create(project=project, reporter=user, title="Filed during the outage")

    private_redis.start()
    expect(notice).to_be_hidden(timeout=30000)
    expect(page.locator(f"#ticket-{ticket.key}")).to_be_visible(timeout=10000)

"""A project's health and dashboard figures are kept in the cache until the project's next
announced change (issue 12, target 6): a change made through the services shows on the next
view, the thresholds apply at once, and what nobody announces shows once the kept value
expires (AIHUB_FIGURES_CACHE_SECONDS). The rest of the suite runs with the cache off."""

import datetime
import re
import time

import pytest
from django.urls import reverse

from projects import live, services
from projects.models import Project, Role
from tests.projects.factories import MembershipFactory, RiskFactory, TicketFactory
from tests.projects.test_views_hub_queries import _project

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(settings):
    settings.AIHUB_FIGURES_CACHE_SECONDS = 30
    return settings


@pytest.fixture
def admin_client(client):
    membership = MembershipFactory(role=Role.ADMIN)
    client.force_login(membership.user)
    client.project, client.user = membership.project, membership.user
    return client


def _health_line(client) -> str:
    page = client.get(reverse("projects:hub", args=[client.project.key])).content.decode()
    return re.search(r'<p class="health-summary" id="hub-health">.*?</p>', page, re.S).group(0)


def _open_tickets(client) -> int:
    page = client.get(reverse("projects:dashboard", args=[client.project.key])).content.decode()
    return int(re.search(r'id="stat-open"><a [^>]*>(\d+)<', page).group(1))


def test_an_announced_change_shows_on_the_next_view(kept, admin_client, django_capture_on_commit_callbacks):
    assert "On track" in _health_line(admin_client)
    assert _open_tickets(admin_client) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_create(
            project=admin_client.project, user=admin_client.user, title="GPU quota cut", likelihood=5, impact=4
        )
        services.ticket_create(project=admin_client.project, reporter=admin_client.user, title="Label the new set")
    line = _health_line(admin_client)
    assert "At risk" in line and "1 high risk open" in line and "GPU quota cut" in line
    assert _open_tickets(admin_client) == 1


def test_what_nobody_announces_shows_when_the_kept_value_expires(kept, admin_client):
    kept.AIHUB_FIGURES_CACHE_SECONDS = 1
    assert "On track" in _health_line(admin_client)
    assert _open_tickets(admin_client) == 0
    RiskFactory(project=admin_client.project, title="Labelling vendor late", likelihood=5, impact=4)  # no announcement
    TicketFactory(project=admin_client.project)
    assert "On track" in _health_line(admin_client)  # kept
    assert _open_tickets(admin_client) == 0
    time.sleep(1.2)
    assert "Labelling vendor late" in _health_line(admin_client)
    assert _open_tickets(admin_client) == 1


def test_changed_thresholds_apply_at_once(kept, admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_create(
            project=admin_client.project, user=admin_client.user, title="GPU quota cut", likelihood=5, impact=4
        )
    assert "At risk" in _health_line(admin_client)
    Project.objects.filter(pk=admin_client.project.pk).update(health_high_risks_off_track=1)  # no announcement
    assert "Off track" in _health_line(admin_client)


def test_a_change_committed_while_the_figures_are_computed_is_not_hidden(kept):
    """The revision is read before the figures are computed: a change that lands meanwhile
    moves it, so what was computed from the older data is not kept under the new one."""
    computed = []

    def compute(ids):
        computed.append(ids)
        if len(computed) == 1:
            live._bump(7)  # a write commits (and announces) while the first computation reads
        return {7: len(computed)}

    assert live.kept_until_changed("figures", [7], compute) == {7: 1}
    assert live.kept_until_changed("figures", [7], compute) == {7: 2}  # computed again
    assert live.kept_until_changed("figures", [7], compute) == {7: 2}  # then kept
    assert len(computed) == 2


def test_kept_for_many_projects_at_once_computes_only_the_missing(kept):
    asked = []

    def compute(ids):
        asked.append(sorted(ids))
        return {pk: pk * 10 for pk in ids}

    assert live.kept_until_changed("figures", [1, 2], compute) == {1: 10, 2: 20}
    live._bump(2)
    assert live.kept_until_changed("figures", [1, 2, 3], compute) == {1: 10, 2: 20, 3: 30}
    assert asked == [[1, 2], [2, 3]]


def test_the_hub_and_dashboard_read_no_figures_while_kept(
    kept, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """Warm, the hub and the dashboard page cost only the page's own queries at any size; the
    first view after a change costs their budgets in test_views_hub_queries.py."""
    counts = {}
    for key, size in (("CV", 1), ("BIG", 30)):
        project, admin = _project(key, size)
        client.force_login(admin)
        for url_name, budget in (("projects:hub", 5), ("projects:dashboard", 4)):
            url = reverse(url_name, args=[project.key])
            client.get(url)
            with django_assert_max_num_queries(budget, info=url) as captured:
                assert client.get(url).status_code == 200
            counts[(url_name, size)] = len(captured)
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_create(project=project, reporter=admin, title="One more")
        with django_assert_max_num_queries(12) as captured:
            client.get(reverse("projects:hub", args=[project.key]))
        assert len(captured) > counts[("projects:hub", size)]  # the change: computed again
    assert counts[("projects:hub", 1)] == counts[("projects:hub", 30)]
    assert counts[("projects:dashboard", 1)] == counts[("projects:dashboard", 30)]


def test_the_sprint_burndown_follows_a_finished_ticket(kept, admin_client, django_capture_on_commit_callbacks):
    project, user = admin_client.project, admin_client.user
    with django_capture_on_commit_callbacks(execute=True):
        sprint = services.sprint_create(
            project=project,
            name="S1",
            start_date=datetime.date.today(),
            end_date=datetime.date.today() + datetime.timedelta(days=13),
        )
        ticket = services.ticket_create(project=project, reporter=user, title="Train", estimate=5, sprint=sprint)
        services.sprint_start(sprint=sprint, user=user)
    url = reverse("projects:sprint", args=[project.key, sprint.pk])

    def completed() -> str:
        page = admin_client.get(url).content.decode()
        return re.search(r"<dt>Completed</dt><dd>(\d+)</dd>", page).group(1)

    assert completed() == "0"
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_update(ticket=ticket, user=user, status="done")
    assert completed() == "5"

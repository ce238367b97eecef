"""The demo workspace's history feeds the flow charts: after the planning demo and
`seed_flow_demo`, CV and CHURN have a cumulative flow that moves and finished tickets with
cycle times of different lengths; a second run changes nothing."""

import pytest

from projects.demo import seed_flow_demo, seed_planning_demo
from projects.models import Role, TicketEvent
from projects.selectors import flow
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_the_demo_history_gives_every_flow_chart_data():
    demo = UserFactory(username="demo")
    projects = [ProjectFactory(key="CV"), ProjectFactory(key="CHURN")]
    for project in projects:
        MembershipFactory(project=project, user=demo, role=Role.ADMIN)
    seed_planning_demo(demo)
    seed_flow_demo(demo)

    for project in projects:
        data = flow.cumulative_flow(project, 30)
        slugs = [s["slug"] for s in data["statuses"]]
        first, last = (dict(zip(slugs, row["counts"], strict=True)) for row in (data["rows"][0], data["rows"][-1]))
        assert last["done"] > first["done"] and last["todo"] < first["todo"]
        assert any(dict(zip(slugs, row["counts"], strict=True))["in_progress"] for row in data["rows"])
        cycle = flow.cycle_times(project)
        assert cycle["count"] >= 5 and cycle["skipped"] == 0
        assert len([b for b in cycle["bins"] if b["count"]]) >= 3 and cycle["p85_days"] > cycle["median_days"]

    events = TicketEvent.objects.count()
    seed_flow_demo(demo)
    assert TicketEvent.objects.count() == events

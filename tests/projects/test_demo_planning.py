import io

import pytest
from django.core.management import call_command

from projects.models import Project, Sprint, Ticket
from projects.selectors import project_velocity, sprint_burndown

pytestmark = pytest.mark.django_db


def test_demo_fills_cv_and_churn_with_sprints_that_have_burndown_and_velocity():
    call_command("seed_demo", stdout=io.StringIO())
    for key in ("CV", "CHURN"):
        project = Project.objects.get(key=key)
        completed = project.sprints.filter(state="completed").order_by("start_date").last()
        assert project.sprints.filter(state="completed").count() == 2
        active = project.sprints.get(state="active")
        assert project.sprints.filter(state="planned").exists()
        assert {"story", "bug", "experiment", "spike"} <= set(project.tickets.values_list("type", flat=True))
        burndown = sprint_burndown(sprint=active)
        assert burndown["committed_points"] > 0 and len(burndown["days"]) >= 5
        assert burndown["days"][-1]["remaining_points"] < burndown["committed_points"]
        finished_sprint = sprint_burndown(sprint=completed)
        assert finished_sprint["days"][0]["remaining_points"] > finished_sprint["days"][-1]["remaining_points"] > 0
        velocity = project_velocity(project=project)
        assert velocity and velocity[0]["completed_points"] > 0
        assert len(velocity) == 2
        assert velocity[-1]["committed_points"] > velocity[-1]["completed_points"]  # some work carried over
    counts = (Ticket.objects.count(), Sprint.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Ticket.objects.count(), Sprint.objects.count()) == counts

"""The demo workspace shows the lifecycle: CV has exit criteria for every phase, its way to
Develop as past phase changes (one overridden with a reason), and two milestones linked to
its epics, one past and completed and one upcoming; seeding again changes nothing."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from projects.models import PHASE_ORDER, ExitCriterion, Milestone, PhaseTransition, Project, TicketType
from projects.selectors.roadmap import roadmap

pytestmark = pytest.mark.django_db


def test_demo_has_exit_criteria_past_transitions_and_two_milestones():
    call_command("seed_demo", stdout=io.StringIO())
    cv = Project.objects.get(key="CV")
    assert cv.phase == "develop"
    assert set(cv.exit_criteria.values_list("phase", flat=True)) == set(PHASE_ORDER)
    assert not cv.exit_criteria.filter(phase__in=["define", "plan"], done=False).exists()
    assert cv.exit_criteria.filter(phase="develop", done=True).count() == 1
    transitions = list(cv.phase_transitions.order_by("created_at"))
    assert [(t.from_phase, t.to_phase) for t in transitions] == [
        ("define", "plan"),
        ("plan", "data"),
        ("data", "develop"),
    ]
    assert all(t.created_at < timezone.now() - datetime.timedelta(days=7) for t in transitions)
    assert [t.overridden for t in transitions] == [False, False, True] and transitions[-1].override_reason
    today = timezone.localdate()
    past, upcoming = cv.milestones.order_by("due_date")
    assert past.due_date < today and past.completed and past.epics.exists()
    assert upcoming.due_date > today and not upcoming.completed and upcoming.epics.count() == 2
    assert all(epic.type == TicketType.EPIC for epic in upcoming.epics.all())
    layout = roadmap(project=cv, today=today)
    assert len(layout["epics"]) >= 2 and len(layout["milestones"]) == 2

    counts = (ExitCriterion.objects.count(), PhaseTransition.objects.count(), Milestone.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (ExitCriterion.objects.count(), PhaseTransition.objects.count(), Milestone.objects.count()) == counts

"""The lifecycle's services and selectors: exit criteria (added in order, ticked with who
and when, unticked), the phase advance (with every criterion ticked; refused with unticked
ones, naming them and changing nothing; with an override reason, recorded with the
checklist as it stood; skipped phases checked; moving back; the last phase), milestones
(only epics of the same project, completed stamps, stale versions), and next_milestones
for many projects in one query."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aihub.exceptions import StaleVersion
from projects.lifecycle import DEFAULT_EXIT_CRITERIA, next_phase
from projects.models import PHASE_ORDER, ExitCriterion, Phase, PhaseTransition, Project, Role, TicketType
from projects.selectors.lifecycle import next_milestones, phase_progress
from projects.services.lifecycle import (
    PhaseCriteriaUnmet,
    exit_criteria_create,
    exit_criterion_create,
    exit_criterion_tick,
    exit_criterion_update,
    milestone_create,
    milestone_update,
    phase_advance,
)
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV", phase=Phase.DEFINE)


@pytest.fixture
def admin(cv):
    return MembershipFactory(project=cv, role=Role.ADMIN, user__username="ada").user


@pytest.fixture
def member(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


def _criteria(project, phase, texts=("Charter approved", "Target written down")):
    return exit_criteria_create(project, phase, list(texts))


def test_defaults_cover_every_phase_in_order():
    assert (
        list(DEFAULT_EXIT_CRITERIA) == list(PHASE_ORDER) == ["define", "plan", "data", "develop", "deploy", "maintain"]
    )
    assert all(DEFAULT_EXIT_CRITERIA[phase] for phase in PHASE_ORDER)
    assert next_phase("define") == "plan" and next_phase("maintain") is None


def test_criteria_are_added_in_order_after_the_existing_ones(cv):
    first = _criteria(cv, "define")
    more = exit_criteria_create(cv, "define", ["Sponsor named"])
    assert [c.position for c in first + more] == [1, 2, 3]
    assert list(ExitCriterion.objects.filter(project=cv).values_list("text", flat=True)) == [
        "Charter approved",
        "Target written down",
        "Sponsor named",
    ]
    assert not any(c.done for c in first)


@pytest.mark.parametrize(
    ("phase", "texts", "field"),
    [("someday", ["x"], "phase"), ("define", ["  "], "text"), ("define", ["x" * 301], "text")],
)
def test_bad_criteria_are_refused(cv, phase, texts, field):
    with pytest.raises(ValidationError) as refused:
        exit_criteria_create(cv, phase, texts)
    assert field in refused.value.message_dict
    assert not ExitCriterion.objects.exists()


def test_tick_records_who_and_when_and_untick_clears_it(cv, member):
    criterion = exit_criterion_create(project=cv, user=member, phase="define", text="Charter approved")
    ticked = exit_criterion_tick(criterion=criterion, user=member)
    assert ticked.done and ticked.done_by == member and ticked.done_at is not None
    unticked = exit_criterion_update(criterion=criterion, user=member, done=False)
    assert not unticked.done and unticked.done_by is None and unticked.done_at is None
    with pytest.raises(ValidationError):
        exit_criterion_update(criterion=criterion, user=member, phase="plan")


def test_advance_with_every_criterion_ticked_records_who_when_and_the_checklist(cv, admin, member):
    for criterion in _criteria(cv, "define"):
        exit_criterion_tick(criterion=criterion, user=member)
    before = timezone.now()
    transition = phase_advance(cv, admin)
    cv.refresh_from_db()
    assert cv.phase == "plan"
    assert (transition.from_phase, transition.to_phase, transition.actor) == ("define", "plan", admin)
    assert transition.created_at >= before and not transition.overridden and transition.override_reason == ""
    assert [(item["text"], item["done"], item["done_by"]) for item in transition.checklist] == [
        ("Charter approved", True, "dana"),
        ("Target written down", True, "dana"),
    ]


def test_advance_with_unticked_criteria_is_refused_naming_them_and_changes_nothing(cv, admin, member):
    done, open_ = _criteria(cv, "define")
    exit_criterion_tick(criterion=done, user=member)
    with pytest.raises(PhaseCriteriaUnmet) as refused:
        phase_advance(cv, admin)
    assert refused.value.unticked == [open_]
    errors = refused.value.message_dict
    assert errors["exit_criteria"] == ["Not ticked: Target written down"]
    assert "give a reason" in errors["override_reason"][0]
    cv.refresh_from_db()
    assert cv.phase == "define" and not PhaseTransition.objects.exists()
    with pytest.raises(PhaseCriteriaUnmet):  # blank reasons are no reason
        phase_advance(cv, admin, override_reason="   ")


def test_advance_with_an_override_reason_is_recorded_with_the_unticked_state(cv, admin, member):
    done, _ = _criteria(cv, "define")
    exit_criterion_tick(criterion=done, user=member)
    transition = phase_advance(cv, admin, override_reason="Sponsor signs the charter next week.")
    cv.refresh_from_db()
    assert cv.phase == "plan"
    assert transition.overridden and transition.override_reason == "Sponsor signs the charter next week."
    assert {item["text"]: item["done"] for item in transition.checklist} == {
        "Charter approved": True,
        "Target written down": False,
    }
    assert transition.ticked_count == 1


def test_a_phase_without_criteria_advances_and_skipping_checks_every_phase_left(cv, admin):
    assert phase_advance(cv, admin).to_phase == "plan"  # nothing to tick
    _criteria(cv, "data", ["Holdout split defined"])
    with pytest.raises(PhaseCriteriaUnmet) as refused:
        phase_advance(cv, admin, to_phase="develop")  # leaves plan and data
    assert [c.text for c in refused.value.unticked] == ["Holdout split defined"]
    transition = phase_advance(cv, admin, to_phase="develop", override_reason="Data signed off by mail.")
    assert (transition.from_phase, transition.to_phase, transition.overridden) == ("plan", "develop", True)


def test_moving_back_needs_no_ticks_and_the_last_phase_has_no_next(cv, admin):
    Project.objects.filter(pk=cv.pk).update(phase="maintain")
    cv.refresh_from_db()
    _criteria(cv, "maintain")
    with pytest.raises(ValidationError) as last:
        phase_advance(cv, admin)
    assert "to_phase" in last.value.message_dict
    back = phase_advance(cv, admin, to_phase="deploy")
    assert (back.from_phase, back.to_phase, back.overridden) == ("maintain", "deploy", False)
    with pytest.raises(ValidationError) as same:
        phase_advance(cv, admin, to_phase="deploy")
    assert "to_phase" in same.value.message_dict
    with pytest.raises(ValidationError):
        phase_advance(cv, admin, to_phase="nowhere")


def test_phase_progress_reads_every_phase_in_one_query(cv, member):
    for criterion in _criteria(cv, "define")[:1]:
        exit_criterion_tick(criterion=criterion, user=member)
    _criteria(cv, "plan", ["Epics planned"])
    with CaptureQueriesContext(connection) as queries:
        progress = phase_progress(cv)
        states = [(p.value, p.state, p.done, p.total) for p in progress["phases"]]
    assert len(queries) == 1
    assert states[:2] == [("define", "current", 1, 2), ("plan", "upcoming", 0, 1)]
    assert (progress["next_phase"], progress["ready"], progress["current"].unticked[0].text) == (
        "plan",
        False,
        "Target written down",
    )


@pytest.fixture
def epic(cv, member):
    return TicketFactory(project=cv, reporter=member, title="Detector v2", type=TicketType.EPIC)


def test_milestones_link_epics_of_the_project_only(cv, member, epic):
    story = TicketFactory(project=cv, reporter=member, title="A story")
    other = TicketFactory(project=ProjectFactory(key="OT"), title="Theirs", type=TicketType.EPIC)
    milestone = milestone_create(
        project=cv, user=member, name="Pilot", due_date=datetime.date(2030, 1, 1), epics=[epic.key]
    )
    assert list(milestone.epics.all()) == [epic] and not milestone.completed
    for wrong, message in ((story.key, "is not an epic"), (other, "another project"), ("CV-404", "No ticket")):
        with pytest.raises(ValidationError) as refused:
            milestone_create(project=cv, user=member, name="X", due_date=datetime.date(2030, 1, 1), epics=[wrong])
        assert message in refused.value.message_dict["epics"][0]


def test_milestone_completion_and_stale_versions(cv, member, epic):
    milestone = milestone_create(project=cv, user=member, name="Pilot", due_date=datetime.date(2030, 1, 1))
    done = milestone_update(milestone=milestone, user=member, version=1, completed=True, epics=[epic])
    assert done.completed_at is not None and done.version == 2 and list(done.epics.all()) == [epic]
    with pytest.raises(StaleVersion):
        milestone_update(milestone=milestone, user=member, version=1, name="Mine")
    reopened = milestone_update(milestone=milestone, user=member, completed=False)
    assert reopened.completed_at is None and reopened.version == 3
    same = milestone_update(milestone=milestone, user=member, name="Pilot")
    assert same.version == 3  # nothing changed


def test_next_milestones_of_fifty_projects_in_one_query(member):
    today = timezone.localdate()
    projects = [ProjectFactory() for _ in range(50)]
    expected = {}
    for i, project in enumerate(projects):
        if i % 5 == 0:
            continue  # no milestones at all
        day = lambda n: today + datetime.timedelta(days=n)  # noqa: E731
        milestone_create(project=project, user=member, name="Done long ago", due_date=day(-40), completed=True)
        overdue = milestone_create(project=project, user=member, name="Late", due_date=day(-2)) if i % 2 else None
        soon = milestone_create(project=project, user=member, name="Soon", due_date=day(i))
        milestone_create(project=project, user=member, name="Later", due_date=day(i + 30))
        expected[project.pk] = (overdue or soon).name
    with CaptureQueriesContext(connection) as queries:
        found = next_milestones([p.pk for p in projects])
    assert len(queries) == 1
    assert {pk: m.name for pk, m in found.items() if m} == expected
    assert all(found[p.pk] is None for i, p in enumerate(projects) if i % 5 == 0)
    assert next_milestones([]) == {}

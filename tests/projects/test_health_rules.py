"""Health rules of projects, one by one (fires, does not fire), and projects_health's cost:
the same number of queries for 1 project as for 50."""

import datetime

import pytest
from django.utils import timezone

from projects import services
from projects.health import AT_RISK, OFF_TRACK, ON_TRACK, Health, HealthSettings, Reason
from projects.models import Project, Role, Sprint, Ticket, TicketEvent, TicketRelation, WorkflowStatus
from projects.selectors.health import project_health, projects_health, rule_blocked, rule_burndown, rule_high_risks
from tests.projects.factories import MembershipFactory, ProjectFactory, RiskFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _run(rule, project):
    project = Project.objects.get(pk=project.pk)
    return rule([project], {project.pk: HealthSettings.of(project)}).get(project.pk, [])


def sprint_half_way(project, *, points=(5, 5, 5, 5), done=0):
    """An active sprint that started 7 days ago and ends in 7 (the ideal line is at half
    the committed points today), holding tickets of `points`; the first `done` finished."""
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    today = timezone.localdate()
    sprint = services.sprint_create(
        project=project,
        name="Sprint H",
        start_date=today - datetime.timedelta(days=7),
        end_date=today + datetime.timedelta(days=7),
    )
    tickets = [
        services.ticket_create(project=project, reporter=admin, title=f"T{i}", estimate=p, sprint=sprint)
        for i, p in enumerate(points)
    ]
    before = timezone.now() - datetime.timedelta(days=9)
    Ticket.objects.filter(project=project).update(created_at=before)
    TicketEvent.objects.filter(ticket__project=project).update(created_at=before)
    services.sprint_start(sprint=sprint, user=admin)
    started = datetime.datetime.combine(sprint.start_date, datetime.time(9), tzinfo=timezone.get_current_timezone())
    Sprint.objects.filter(pk=sprint.pk).update(started_at=started)
    for ticket in tickets[:done]:
        services.ticket_update(ticket=ticket, user=admin, status="done")
    return sprint, tickets


def test_health_is_the_worst_reason_and_lists_them_worst_first():
    assert Health([]).status == ON_TRACK and Health([]).top_reason is None
    health = Health([Reason("a", "A", AT_RISK), Reason("b", "B", OFF_TRACK)])
    assert health.status == OFF_TRACK and health.top_reason.code == "b"
    assert health.as_dict() == {
        "status": "off_track",
        "reasons": [
            {"code": "b", "message": "B", "severity": "off_track"},
            {"code": "a", "message": "A", "severity": "at_risk"},
        ],
    }


def test_burndown_behind_fires_off_track_at_twice_the_threshold():
    project = ProjectFactory()
    sprint_half_way(project)  # 20 points left where the ideal is at 10: 50 % behind
    (reason,) = _run(rule_burndown, project)
    assert reason.code == "burndown_behind" and reason.severity == OFF_TRACK
    assert "20 points left where the ideal line is at 10" in reason.message
    Project.objects.filter(pk=project.pk).update(health_burndown_behind_pct=30)
    (reason,) = _run(rule_burndown, project)
    assert reason.severity == AT_RISK  # 50 % is over 30 %, not over 60 %


def test_burndown_on_the_ideal_line_does_not_fire():
    project = ProjectFactory()
    sprint_half_way(project, done=2)  # 10 left, the ideal is at 10
    assert _run(rule_burndown, project) == []
    assert _run(rule_burndown, ProjectFactory()) == []  # no active sprint: nothing to say


def test_blocked_for_more_than_n_days_fires():
    project = ProjectFactory()
    blocker, blocked, fresh = (TicketFactory(project=project, title=t) for t in ("Blocker", "Blocked", "Fresh"))
    services.relation_add(ticket=blocked, other=blocker, kind="is_blocked_by", user=None)
    services.relation_add(ticket=fresh, other=blocker, kind="is_blocked_by", user=None)
    TicketRelation.objects.filter(target=blocked).update(created_at=timezone.now() - datetime.timedelta(days=5))
    (reason,) = _run(rule_blocked, project)
    assert reason.code == "blocked_tickets" and reason.severity == AT_RISK
    assert f"1 ticket blocked for more than 3 days: {blocked.key} (5 days)." == reason.message
    Project.objects.filter(pk=project.pk).update(health_blocked_days=6)
    assert _run(rule_blocked, project) == []


def test_blocked_does_not_fire_once_the_blocker_or_the_ticket_is_finished():
    project = ProjectFactory()
    blocker, blocked = TicketFactory(project=project), TicketFactory(project=project)
    services.relation_add(ticket=blocked, other=blocker, kind="is_blocked_by", user=None)
    TicketRelation.objects.update(created_at=timezone.now() - datetime.timedelta(days=10))
    assert len(_run(rule_blocked, project)) == 1
    services.ticket_update(ticket=blocker, user=None, status="done")
    assert _run(rule_blocked, project) == []
    # "relates to" is not blocking
    other = TicketFactory(project=project)
    services.relation_add(ticket=other, other=blocked, kind="relates_to", user=None)
    TicketRelation.objects.update(created_at=timezone.now() - datetime.timedelta(days=10))
    assert _run(rule_blocked, project) == []


def test_a_ticket_in_a_blocked_status_for_more_than_n_days_fires():
    project = ProjectFactory()
    WorkflowStatus.objects.create(project=project, slug="blocked", name="Blocked", position=9)
    waiting, fresh = TicketFactory(project=project, title="Waiting"), TicketFactory(project=project, title="Fresh")
    services.ticket_update(ticket=waiting, user=None, status="blocked")
    services.ticket_update(ticket=fresh, user=None, status="blocked")
    assert _run(rule_blocked, project) == []  # both just entered it
    TicketEvent.objects.filter(ticket=waiting, field="status").update(
        created_at=timezone.now() - datetime.timedelta(days=4)
    )
    (reason,) = _run(rule_blocked, project)
    assert reason.message == f"1 ticket blocked for more than 3 days: {waiting.key} (4 days)."
    # Blocked both ways: named once, for the longer of the two.
    blocker = TicketFactory(project=project, title="Blocker")
    services.relation_add(ticket=waiting, other=blocker, kind="is_blocked_by", user=None)
    TicketRelation.objects.update(created_at=timezone.now() - datetime.timedelta(days=7))
    (reason,) = _run(rule_blocked, project)
    assert reason.message == f"1 ticket blocked for more than 3 days: {waiting.key} (7 days)."
    services.ticket_update(ticket=waiting, user=None, status="todo")
    services.ticket_update(ticket=blocker, user=None, status="done")
    assert _run(rule_blocked, project) == []


def test_open_high_risks_fire_and_off_track_at_the_threshold():
    project = ProjectFactory()
    RiskFactory(project=project, title="Low", likelihood=2, impact=2)
    RiskFactory(project=project, title="Closed high", likelihood=5, impact=5, status="closed")
    assert _run(rule_high_risks, project) == []
    RiskFactory(project=project, title="Labels disagree", likelihood=4, impact=4)
    (reason,) = _run(rule_high_risks, project)
    assert reason.code == "high_risks" and reason.severity == AT_RISK
    assert "“Labels disagree” (score 16)" in reason.message
    Project.objects.filter(pk=project.pk).update(health_high_risks_off_track=2)
    RiskFactory(project=project, title="Edge latency", likelihood=3, impact=5, status="mitigating")
    (reason,) = _run(rule_high_risks, project)
    assert reason.severity == OFF_TRACK and reason.message.startswith("2 high risks open: “Labels disagree”")


def test_project_health_gathers_every_rule():
    project = ProjectFactory()
    assert project_health(project).status == ON_TRACK
    RiskFactory(project=project, likelihood=5, impact=4)
    sprint_half_way(project)
    health = project_health(Project.objects.get(pk=project.pk))
    assert health.status == OFF_TRACK
    assert [r.code for r in health.reasons] == ["burndown_behind", "high_risks"]


def _busy_project(i):
    project = ProjectFactory(key=f"H{i}X")
    sprint_half_way(project, points=(3, 3))
    blocker, blocked = TicketFactory(project=project), TicketFactory(project=project)
    services.relation_add(ticket=blocked, other=blocker, kind="is_blocked_by", user=None)
    RiskFactory(project=project, likelihood=5, impact=5)
    return project


def test_projects_health_costs_the_same_for_1_and_50_projects(django_assert_num_queries):
    projects = [_busy_project(i) for i in range(50)]
    TicketRelation.objects.update(created_at=timezone.now() - datetime.timedelta(days=9))
    fresh = list(Project.objects.filter(pk__in=[p.pk for p in projects]))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        single = projects_health(fresh[:1])
    with CaptureQueriesContext(connection) as fifty:
        every = projects_health(fresh)
    assert len(one) == len(fifty) <= 10, (len(one), len(fifty))  # 12 before the blocked rule and history
    assert len(every) == 50
    assert all(h.status == OFF_TRACK for h in every.values())
    assert {r.code for r in single[fresh[0].pk].reasons} >= {"burndown_behind", "blocked_tickets", "high_risks"}

"""The risk register's services and selectors: score and "high", the rules a write checks,
stale versions refused, history lines on linked tickets, the heat map and list filters."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from aihub.exceptions import StaleVersion
from aihub.limits import text_limit
from projects import selectors, services
from projects.models import HIGH_RISK_SCORE, Project, Risk, RiskStatus, TicketEvent, risk_band
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, RiskFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def pm(cv):
    return MembershipFactory(project=cv, role="admin").user


@pytest.mark.parametrize(
    ("likelihood", "impact", "score", "high", "band"),
    [
        (1, 1, 1, False, "low"),
        (2, 2, 4, False, "low"),
        (1, 5, 5, False, "medium"),
        (3, 3, 9, False, "medium"),
        (2, 5, 10, False, "elevated"),
        (4, 3, 12, False, "elevated"),
        (3, 5, 15, True, "high"),
        (4, 4, 16, True, "high"),
        (5, 5, 25, True, "high"),
    ],
)
def test_score_is_likelihood_times_impact_and_high_from_15(cv, pm, likelihood, impact, score, high, band):
    risk = RiskFactory(project=cv, user=pm, likelihood=likelihood, impact=impact)
    assert (risk.score, risk.is_high, risk.band) == (score, high, band)
    assert HIGH_RISK_SCORE == 15
    assert risk_band(score) == band


def test_create_renders_markdown_links_tickets_and_records_their_history(cv, pm):
    t1, t2 = TicketFactory(project=cv, reporter=pm), TicketFactory(project=cv, reporter=pm)
    risk = services.risk_create(
        project=cv,
        user=pm,
        title="  Labels disagree  ",
        likelihood=4,
        impact=4,
        description=f"See {t1.key} <script>alert(1)</script>",
        owner=pm.username,
        tickets=[t1.key, t2],
        review_date=datetime.date(2030, 1, 1),
    )
    assert risk.title == "Labels disagree" and risk.version == 1 and risk.owner == pm
    assert "<script" not in risk.description_html and f">{t1.key}</a>" in risk.description_html
    assert {t.key for t in risk.tickets.all()} == {t1.key, t2.key}
    lines = TicketEvent.objects.filter(field="risk")
    assert {(e.ticket_id, e.new_value) for e in lines} == {(t1.pk, "Labels disagree"), (t2.pk, "Labels disagree")}
    assert risk.closed_at is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"likelihood": 0}, "likelihood"),
        ({"impact": 6}, "impact"),
        ({"title": "   "}, "title"),
        ({"status": "maybe"}, "status"),
        ({"owner": "nobody-here"}, "owner"),
        ({"tickets": ["CV-999"]}, "tickets"),
        ({"description": "x" * (text_limit("projects.Risk", "description") + 1)}, "description"),
        ({"mitigation": "x" * (text_limit("projects.Risk", "mitigation") + 1)}, "mitigation"),
    ],
)
def test_create_refuses_bad_input_with_a_field_error(cv, pm, fields, field):
    values = {"title": "A risk", "likelihood": 3, "impact": 3} | fields
    with pytest.raises(ValidationError) as error:
        services.risk_create(project=cv, user=pm, **values)
    assert field in error.value.message_dict
    assert not Risk.objects.exists()


def test_owner_must_be_a_member_and_tickets_of_the_same_project(cv, pm):
    other = ProjectFactory(key="OT")
    outsider = UserFactory()
    foreign = TicketFactory(project=other)
    with pytest.raises(ValidationError) as error:
        services.risk_create(project=cv, user=pm, title="R", likelihood=1, impact=1, owner=outsider)
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.risk_create(project=cv, user=pm, title="R", likelihood=1, impact=1, tickets=[foreign])
    assert "tickets" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.risk_create(project=cv, user=pm, title="R", likelihood=1, impact=1, tickets=[foreign.key])


def test_update_bumps_the_version_and_a_stale_version_changes_nothing(cv, pm):
    risk = RiskFactory(project=cv, user=pm, likelihood=2, impact=2)
    updated = services.risk_update(risk=risk, user=pm, version=1, likelihood=5, impact=4, mitigation="Watch it")
    assert (updated.version, updated.score, updated.is_high) == (2, 20, True)
    with pytest.raises(StaleVersion) as stale:
        services.risk_update(risk=risk, user=pm, version=1, title="Lost edit")
    assert stale.value.current.version == 2 and stale.value.current.title == risk.title
    risk.refresh_from_db()
    assert (risk.version, risk.title, risk.mitigation) == (2, updated.title, "Watch it")


def test_an_update_that_changes_nothing_keeps_the_version(cv, pm):
    risk = RiskFactory(project=cv, user=pm, likelihood=2, impact=2, owner=pm)
    same = services.risk_update(risk=risk, user=pm, version=1, likelihood=2, owner=pm.username, tickets=[])
    assert same.version == 1


def test_update_refuses_unknown_fields_and_bad_ratings(cv, pm):
    risk = RiskFactory(project=cv, user=pm)
    with pytest.raises(ValidationError) as error:
        services.risk_update(risk=risk, user=pm, project=ProjectFactory())
    assert "project" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.risk_update(risk=risk, user=pm, impact=9)
    assert "impact" in error.value.message_dict


def test_relinking_tickets_records_linked_and_unlinked_lines(cv, pm):
    t1, t2 = TicketFactory(project=cv, reporter=pm), TicketFactory(project=cv, reporter=pm)
    risk = RiskFactory(project=cv, user=pm, title="Drift", tickets=[t1.key])
    services.risk_update(risk=risk, user=pm, tickets=[t2.key])
    assert [t.key for t in risk.tickets.all()] == [t2.key]
    assert TicketEvent.objects.filter(ticket=t1, field="risk", old_value="Drift", new_value="").exists()
    assert TicketEvent.objects.filter(ticket=t2, field="risk", new_value="Drift").exists()


def test_close_stamps_closed_at_and_reopening_clears_it(cv, pm):
    risk = RiskFactory(project=cv, user=pm)
    closed = services.risk_close(risk=risk, user=pm, version=1)
    assert closed.status == RiskStatus.CLOSED and closed.closed_at is not None and closed.version == 2
    with pytest.raises(StaleVersion):
        services.risk_close(risk=risk, user=pm, version=1)
    reopened = services.risk_update(risk=risk, user=pm, status="open")
    assert reopened.closed_at is None and reopened.is_active


def test_delete_leaves_a_line_on_linked_tickets(cv, pm):
    ticket = TicketFactory(project=cv, reporter=pm)
    risk = RiskFactory(project=cv, user=pm, title="Gone", tickets=[ticket])
    services.risk_delete(risk=risk, user=pm)
    assert not Risk.objects.exists()
    assert TicketEvent.objects.filter(ticket=ticket, field="risk", old_value="Gone").exists()


def test_review_overdue_only_for_active_risks_past_their_date(cv, pm):
    today = timezone.localdate()
    past = today - datetime.timedelta(days=1)
    assert RiskFactory(project=cv, user=pm, review_date=past).review_overdue(today)
    assert not RiskFactory(project=cv, user=pm, review_date=today).review_overdue(today)
    assert not RiskFactory(project=cv, user=pm, review_date=past, status="accepted").review_overdue(today)
    assert not RiskFactory(project=cv, user=pm).review_overdue(today)


def test_heatmap_counts_active_risks_per_cell(cv, pm):
    for likelihood, impact, status in [(4, 4, "open"), (4, 4, "mitigating"), (1, 5, "open"), (4, 4, "closed")]:
        RiskFactory(project=cv, user=pm, likelihood=likelihood, impact=impact, status=status)
    RiskFactory(project=ProjectFactory(), likelihood=4, impact=4)  # another project's
    grid = selectors.risk_heatmap(project=cv)
    cells = {(c["likelihood"], c["impact"]): c for row in grid["rows"] for c in row["cells"]}
    assert len(cells) == 25 and [row["likelihood"] for row in grid["rows"]] == [5, 4, 3, 2, 1]
    assert cells[(4, 4)]["count"] == 2 and cells[(4, 4)]["high"] and cells[(4, 4)]["band"] == "high"
    assert cells[(1, 5)]["count"] == 1 and not cells[(1, 5)]["high"]
    assert grid["total"] == 3
    everything = selectors.risk_heatmap(project=cv, filters=selectors.RiskFilters(status="all"))
    assert everything["total"] == 4


def test_list_filters_and_sorts(cv, pm):
    today = timezone.localdate()
    low = RiskFactory(project=cv, user=pm, title="low", likelihood=1, impact=2, review_date=today)
    high = RiskFactory(project=cv, user=pm, title="high", likelihood=5, impact=4)
    mid = RiskFactory(
        project=cv, user=pm, title="mid", likelihood=3, impact=3, review_date=today - datetime.timedelta(days=2)
    )
    RiskFactory(project=cv, user=pm, title="closed", likelihood=5, impact=5, status="closed")

    def titles(**query):
        return [r.title for r in selectors.risk_list(project=cv, filters=selectors.RiskFilters.from_query(query))]

    assert titles() == ["high", "mid", "low"]
    assert titles(sort="review") == ["mid", "low", "high"]
    assert titles(status="all") == ["closed", "high", "mid", "low"]
    assert titles(status="closed") == ["closed"]
    assert titles(likelihood="3", impact="3") == ["mid"]
    assert titles(high="1") == ["high"]
    assert titles(likelihood="9", status="bogus", sort="bogus") == ["high", "mid", "low"]  # ignored
    assert [r.pk for r in selectors.ticket_risks(ticket=TicketFactory(project=cv))] == []
    assert {low.pk, mid.pk, high.pk} < set(Risk.objects.values_list("pk", flat=True))


def test_open_high_risks_are_active_and_score_15_or_more(cv, pm):
    keep = [
        RiskFactory(project=cv, user=pm, likelihood=3, impact=5),
        RiskFactory(project=cv, user=pm, likelihood=5, impact=5, status="mitigating"),
    ]
    RiskFactory(project=cv, user=pm, likelihood=2, impact=5)  # 10: not high
    RiskFactory(project=cv, user=pm, likelihood=5, impact=5, status="accepted")
    RiskFactory(project=cv, user=pm, likelihood=5, impact=5, status="closed")
    RiskFactory(project=ProjectFactory(), likelihood=5, impact=5)
    assert list(selectors.open_high_risks(project=cv)) == [keep[1], keep[0]]


def test_seed_demo_gives_the_cv_project_a_high_open_risk_once():
    call_command("seed_demo", stdout=io.StringIO())
    cv = Project.objects.get(key="CV")
    risks = list(cv.risks.all())
    assert 2 <= len(risks) <= 3
    assert any(r.is_high and r.status == "open" and r.tickets.exists() for r in risks)
    call_command("seed_demo", stdout=io.StringIO())
    assert cv.risks.count() == len(risks)

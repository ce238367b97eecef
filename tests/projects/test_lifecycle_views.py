"""The lifecycle and roadmap pages: the hub's Lifecycle section (checklist, tick, advance
refused in the page with the unticked criteria and the override form, then overridden
with a reason), the Lifecycle page, who sees which controls, the Roadmap tab and page
(epics and milestones drawn on the SVG timeline, month gridlines, a today line, the
milestones listed with their epics), milestone create/edit/complete/delete with errors in
the page and a stale edit answered 409, and each page's query count at two sizes."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.models import ExitCriterion, Milestone, PhaseTransition, Role, Sprint, Ticket, TicketType
from projects.selectors.roadmap import roadmap
from projects.services.lifecycle import exit_criteria_create, exit_criterion_tick, milestone_create
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cv():
    return ProjectFactory(key="CV", phase="define")


@pytest.fixture
def admin(cv):
    return MembershipFactory(project=cv, role=Role.ADMIN, user__username="ada").user


@pytest.fixture
def member(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


@pytest.fixture
def viewer(cv):
    return MembershipFactory(project=cv, role=Role.VIEWER).user


@pytest.fixture
def criteria(cv):
    return exit_criteria_create(cv, "define", ["Charter approved", "Target written down"])


def test_hub_loads_the_lifecycle_section(client, cv, member, criteria):
    client.force_login(member)
    hub = client.get("/projects/CV/").content.decode()
    assert 'hx-get="/projects/CV/lifecycle/"' in hub
    section = client.get("/projects/CV/lifecycle/", **HX).content.decode()
    assert 'id="lifecycle-panel"' in section and "<html" not in section
    assert "Exit criteria of Define" in section and "0 of 2 ticked" in section
    assert 'aria-label="Tick: Charter approved"' in section
    assert 'id="phase-advance"' not in section  # members tick, admins advance


def test_member_ticks_from_the_section_and_the_section_comes_back(client, cv, member, criteria):
    client.force_login(member)
    response = client.post(f"/projects/CV/lifecycle/criteria/{criteria[0].pk}/tick/", {"done": "1"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="Untick: Charter approved"' in html and "1 of 2 ticked" in html and "ticked by" in html
    criteria[0].refresh_from_db()
    assert criteria[0].done and criteria[0].done_by == member
    # Without htmx: back to the Lifecycle page.
    plain = client.post(f"/projects/CV/lifecycle/criteria/{criteria[0].pk}/tick/", {"done": "0"})
    assert plain.status_code == 302 and plain["Location"] == "/projects/CV/lifecycle/"
    criteria[0].refresh_from_db()
    assert not criteria[0].done


def test_member_adds_and_removes_criteria_and_gets_the_suggested_ones(client, cv, member):
    client.force_login(member)
    client.post("/projects/CV/lifecycle/criteria/", {"phase": "plan", "text": "Epics planned"}, **HX)
    assert list(cv.exit_criteria.values_list("phase", "text")) == [("plan", "Epics planned")]
    empty = client.post("/projects/CV/lifecycle/criteria/", {"phase": "plan", "text": "  "})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    suggested = client.post("/projects/CV/lifecycle/criteria/suggested/", {"phase": "define"}, **HX).content.decode()
    assert "Charter approved by the sponsor" in suggested
    assert cv.exit_criteria.filter(phase="define").count() == 3
    criterion = cv.exit_criteria.get(text="Epics planned")
    client.post(f"/projects/CV/lifecycle/criteria/{criterion.pk}/delete/", **HX)
    assert not ExitCriterion.objects.filter(pk=criterion.pk).exists()


def test_admin_advance_is_refused_in_the_page_then_overridden_with_a_reason(client, cv, admin, criteria):
    exit_criterion_tick(criterion=criteria[0], user=admin)
    client.force_login(admin)
    section = client.get("/projects/CV/lifecycle/", **HX).content.decode()
    assert "Advance to Plan</button>" in section and "1 of 2 ticked: advancing past the unticked" in section

    refused = client.post("/projects/CV/lifecycle/advance/", {"to_phase": "plan"}, **HX)
    html = refused.content.decode()
    assert refused.status_code == 200
    alert = re.search(r'<div class="phase-refusal" role="alert" id="phase-refusal">(.*?)</div>\s*</form>', html, re.S)
    assert alert, html
    assert "Target written down" in alert[1] and "Charter approved" not in alert[1]
    assert 'name="override_reason"' in alert[1] and "Advance to Plan anyway" in alert[1]
    cv.refresh_from_db()
    assert cv.phase == "define" and not PhaseTransition.objects.exists()

    reason = "The sponsor agreed the target in the steering meeting."
    done = client.post("/projects/CV/lifecycle/advance/", {"to_phase": "plan", "override_reason": reason}, **HX)
    assert done.headers["HX-Refresh"] == "true"  # the hub's header shows the phase: reloaded
    html = client.get("/projects/CV/lifecycle/", **HX).content.decode()
    cv.refresh_from_db()
    assert cv.phase == "plan"
    transition = PhaseTransition.objects.get()
    assert (transition.actor, transition.overridden, transition.override_reason) == (admin, True, reason)
    assert "Exit criteria of Plan" in html and "Define → Plan" in html and reason in html and "overridden" in html


def test_advance_without_htmx_shows_the_refusal_on_the_lifecycle_page(client, cv, admin, criteria):
    client.force_login(admin)
    refused = client.post("/projects/CV/lifecycle/advance/", {"to_phase": "plan"})
    html = refused.content.decode()
    assert refused.status_code == 200 and "<html" in html and 'id="phase-refusal"' in html
    for criterion in criteria:
        exit_criterion_tick(criterion=criterion, user=admin)
    advanced = client.post("/projects/CV/lifecycle/advance/", {"to_phase": "plan"})
    assert advanced.status_code == 302
    page = client.get(advanced["Location"]).content.decode()
    assert "CV moved to Plan." in page and "Define → Plan" in page and "checklist 2/2 ticked" in page


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("viewer", 403)])
def test_only_admins_advance(client, cv, criteria, role, status):
    client.force_login(MembershipFactory(project=cv, role=role).user)
    assert (
        client.post("/projects/CV/lifecycle/advance/", {"to_phase": "plan", "override_reason": "x"}).status_code == 403
    )
    cv.refresh_from_db()
    assert cv.phase == "define"


def test_viewer_reads_without_controls_and_cannot_write(client, cv, viewer, criteria):
    client.force_login(viewer)
    page = client.get("/projects/CV/lifecycle/").content.decode()
    assert "Charter approved" in page and 'aria-label="not ticked"' in page
    assert "<form" not in page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert client.post(f"/projects/CV/lifecycle/criteria/{criteria[0].pk}/tick/", {"done": "1"}).status_code == 403
    assert client.post("/projects/CV/lifecycle/criteria/", {"phase": "define", "text": "x"}).status_code == 403
    roadmap_page = client.get("/projects/CV/roadmap/").content.decode()
    assert "New milestone" not in roadmap_page
    assert client.get("/projects/CV/roadmap/milestones/new/").status_code == 403


def test_non_members_get_404(client, cv, criteria):
    client.force_login(MembershipFactory(project=ProjectFactory()).user)
    for url in ("/projects/CV/lifecycle/", "/projects/CV/roadmap/", "/projects/CV/roadmap/milestones/new/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/projects/CV/lifecycle/criteria/{criteria[0].pk}/tick/", {"done": "1"}).status_code == 404


def _sprint(project, name, start, days):
    return Sprint.objects.create(
        project=project, name=name, start_date=start, end_date=start + datetime.timedelta(days=days)
    )


def test_roadmap_draws_epics_and_milestones_on_a_timeline(client, cv, member):
    today = timezone.localdate()
    sprint = _sprint(cv, "S1", today - datetime.timedelta(days=20), 40)
    epic = TicketFactory(project=cv, reporter=member, title="Detector v2", type=TicketType.EPIC)
    TicketFactory(project=cv, reporter=member, title="Train", parent=epic.key, sprint=sprint)
    dated = TicketFactory(
        project=cv,
        reporter=member,
        title="Edge box",
        type=TicketType.EPIC,
        due_date=today + datetime.timedelta(days=70),
    )
    loose = TicketFactory(project=cv, reporter=member, title="Someday", type=TicketType.EPIC)
    milestone_create(project=cv, user=member, name="Pilot", due_date=today + datetime.timedelta(days=30), epics=[epic])
    milestone_create(
        project=cv, user=member, name="Kick-off", due_date=today - datetime.timedelta(days=10), completed=True
    )
    client.force_login(member)
    html = client.get("/projects/CV/roadmap/").content.decode()
    assert '<a href="/projects/CV/roadmap/" aria-current="page">Roadmap</a>' in html  # the tab
    svg = html.split('<svg class="roadmap-svg"', 1)[1].split("</svg>", 1)[0]
    assert f'data-epic="{epic.key}"' in svg and f'data-epic="{dated.key}"' in svg
    assert f'data-epic="{loose.key}"' not in svg and "Not scheduled" in html and loose.title in html
    assert svg.count('class="rm-bar"') == 2 and svg.count('class="rm-diamond"') == 2
    assert svg.count('class="rm-grid') >= 3 and 'class="rm-today-line"' in svg
    assert 'class="rm-milestone rm-done"' in svg  # the completed one
    assert 'style="' not in svg
    # The milestones listed with their epics; members get the controls.
    assert "Pilot" in html and f'href="/projects/CV/tickets/{epic.key}/"' in html and "Mark completed" in html


def test_roadmap_layout_spans_epics_from_sprints_and_due_dates(cv, member):
    today = datetime.date(2027, 3, 15)
    early = _sprint(cv, "S0", datetime.date(2027, 1, 4), 13)
    late = _sprint(cv, "S2", datetime.date(2027, 2, 1), 13)
    epic = TicketFactory(
        project=cv, reporter=member, title="E", type=TicketType.EPIC, due_date=datetime.date(2027, 2, 5)
    )
    TicketFactory(project=cv, reporter=member, title="a", parent=epic.key, sprint=early)
    TicketFactory(
        project=cv, reporter=member, title="b", parent=epic.key, sprint=late, due_date=datetime.date(2027, 2, 10)
    )
    layout = roadmap(project=cv, today=today)
    (row,) = layout["epics"]
    assert (row.start, row.end) == (datetime.date(2027, 1, 4), datetime.date(2027, 2, 14))  # S2's end is last
    assert layout["start"] == datetime.date(2027, 1, 1) and layout["end"] >= datetime.date(2027, 3, 31)
    assert [m["label"] for m in layout["months"]][:3] == ["Jan", "Feb", "Mar"]
    day_px = layout["day_px"]
    assert layout["width"] >= 1080 and day_px == round(1080 / 90, 3)  # Jan to Mar fill the card
    assert row.x == round(3 * day_px, 1) and layout["today_x"] == round(73 * day_px, 1)
    assert row.width == round(41 * day_px, 1) and row.total == 2 and row.done == 0


def test_milestone_pages_create_edit_complete_delete(client, cv, member):
    epic = TicketFactory(project=cv, reporter=member, title="Detector v2", type=TicketType.EPIC)
    client.force_login(member)
    form = client.get("/projects/CV/roadmap/milestones/new/").content.decode()
    assert f'value="{epic.key}"' in form
    bad = client.post("/projects/CV/roadmap/milestones/new/", {"name": "", "due_date": "soon"})
    assert bad.status_code == 200 and "Enter a valid date." in bad.content.decode()
    created = client.post(
        "/projects/CV/roadmap/milestones/new/", {"name": "Pilot", "due_date": "2030-01-15", "epics": [epic.key]}
    )
    milestone = Milestone.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/projects/CV/roadmap/#milestone-{milestone.pk}"
    assert list(milestone.epics.all()) == [epic]
    edit_url = f"/projects/CV/roadmap/milestones/{milestone.pk}/edit/"
    assert 'value="Pilot"' in client.get(edit_url).content.decode()
    saved = client.post(edit_url, {"name": "Pilot on line 3", "due_date": "2030-01-20", "version": 1})
    assert saved.status_code == 302
    stale = client.post(edit_url, {"name": "Mine", "due_date": "2030-01-20", "version": 1})
    assert stale.status_code == 409 and "Someone changed this milestone" in stale.content.decode()
    milestone.refresh_from_db()
    assert (milestone.name, milestone.version, list(milestone.epics.all())) == ("Pilot on line 3", 2, [])
    client.post(f"/projects/CV/roadmap/milestones/{milestone.pk}/complete/", {"completed": "1"})
    milestone.refresh_from_db()
    assert milestone.completed
    client.post(f"/projects/CV/roadmap/milestones/{milestone.pk}/delete/")
    assert not Milestone.objects.exists()


def _seed_roadmap(project, user, size):
    """`size` epics, each with 5 stories in one of the sprints, and `size` milestones
    linked to two epics each; `size` criteria per phase and transitions."""
    today = timezone.localdate()
    sprints = [_sprint(project, f"S{i}", today + datetime.timedelta(days=14 * i - 30), 13) for i in range(4)]
    status = project.statuses.order_by("position").first()
    epics = Ticket.objects.bulk_create(
        Ticket(
            project=project, number=i + 1, key=f"{project.key}-{i + 1}", title=f"Epic {i}", type="epic", status=status
        )
        for i in range(size)
    )
    Ticket.objects.bulk_create(
        Ticket(
            project=project,
            number=size + 5 * i + j + 1,
            key=f"{project.key}-{size + 5 * i + j + 1}",
            title=f"Story {i}.{j}",
            status=status,
            parent=epic,
            sprint=sprints[(i + j) % 4],
            due_date=today + datetime.timedelta(days=i),
        )
        for i, epic in enumerate(epics)
        for j in range(5)
    )
    milestones = Milestone.objects.bulk_create(
        Milestone(project=project, name=f"M{i}", due_date=today + datetime.timedelta(days=7 * i - 14))
        for i in range(size)
    )
    Milestone.epics.through.objects.bulk_create(
        Milestone.epics.through(milestone_id=m.pk, ticket_id=epics[(i + k) % size].pk)
        for i, m in enumerate(milestones)
        for k in range(2)
    )
    for phase in ("define", "plan"):
        ExitCriterion.objects.bulk_create(
            ExitCriterion(project=project, phase=phase, text=f"C{i}", position=i, done=bool(i % 2), done_by=user)
            for i in range(size)
        )
    PhaseTransition.objects.bulk_create(
        PhaseTransition(project=project, from_phase="define", to_phase="plan", actor=user, checklist=[])
        for _ in range(size)
    )
    return epics


@pytest.mark.parametrize("size", [2, 60])
def test_pages_cost_the_same_queries_at_two_sizes(client, cv, admin, size, django_assert_max_num_queries):
    _seed_roadmap(cv, admin, size)
    client.force_login(admin)
    pages = [
        ("/projects/CV/roadmap/", {}, 8),
        ("/projects/CV/lifecycle/", HX, 5),
        ("/projects/CV/lifecycle/", {}, 7),
    ]
    for url, headers, budget in pages:
        client.get(url, **headers)
        with django_assert_max_num_queries(budget, info=url), CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
        assert response.status_code == 200
        print(f"{url} {headers} at {size}: {len(queries)} queries")
    html = client.get("/projects/CV/roadmap/").content.decode()
    assert html.count('class="rm-bar"') == size and html.count('class="rm-diamond"') == size


def test_a_range_of_decades_is_drawn_at_most_2400_px_wide_with_only_years_marked(cv, member):
    TicketFactory(project=cv, reporter=member, title="Far", type=TicketType.EPIC, due_date=datetime.date(2099, 1, 1))
    layout = roadmap(project=cv, today=datetime.date(2027, 3, 15))
    assert layout["width"] <= 2400 and layout["epics"][0].x + layout["epics"][0].width <= layout["width"]
    assert all(m["first"] or m is layout["months"][0] for m in layout["months"]) and len(layout["months"]) < 80
    assert all(m["label"] == "" for m in layout["months"])

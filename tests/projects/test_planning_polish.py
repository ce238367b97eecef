"""Planning polish (issue 11, items 1-3, 7, 8): honest sprint figures shared by the summary,
the burndown and the velocity chart; starting before the planned date; confirmations;
the admin-only override field; wording; epics with their children's progress."""

import datetime

import pytest
from django.utils import timezone

from projects import services
from projects.models import Role, Sprint, Ticket
from projects.selectors import project_velocity, sprint_burndown, sprint_summaries
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def pm(cv, client):
    user = MembershipFactory(project=cv, role=Role.ADMIN, user__username="pm").user
    client.force_login(user)
    return user


def _sprint_with_scope_changes(cv, pm):
    """Committed 3 + 5 + 2 = 10 at the start; 4 added and the 2 removed while it runs; the
    3 finished; at completion 5 + 4 carry over to the next sprint."""
    sprint, following = SprintFactory(project=cv, name="Sprint 1"), SprintFactory(project=cv, name="Sprint 2")
    finished = TicketFactory(project=cv, title="Finished", reporter=pm, sprint=sprint, estimate=3)
    carried = TicketFactory(project=cv, title="Carried", reporter=pm, sprint=sprint, estimate=5)
    removed = TicketFactory(project=cv, title="Removed", reporter=pm, sprint=sprint, estimate=2)
    added = TicketFactory(project=cv, title="Added", reporter=pm, estimate=4)
    services.sprint_start(sprint=sprint, user=pm)
    services.sprint_add_tickets(sprint=sprint, tickets=[added], user=pm, project=cv)
    services.sprint_add_tickets(sprint=None, tickets=[removed], user=pm, project=cv)
    services.ticket_update(ticket=Ticket.objects.get(pk=finished.pk), user=pm, status="done")
    services.sprint_complete(sprint=Sprint.objects.get(pk=sprint.pk), user=pm, move_open_to=following)
    return Sprint.objects.get(pk=sprint.pk), [finished, carried, removed, added]


def test_completed_sprint_figures_are_the_same_in_summary_burndown_and_velocity(cv, pm, client):
    sprint, _ = _sprint_with_scope_changes(cv, pm)
    figures = sprint_summaries(sprints=[sprint])[sprint.pk]
    assert figures == {
        "committed": 10,
        "added": 4,
        "removed": 2,
        "completed": 3,
        "carried_over": 9,
        "remaining": 0,
        "scope": 12,
    }
    burndown = sprint_burndown(sprint=sprint)
    assert burndown["committed_points"] == 10 and burndown["summary"] == figures
    assert burndown["days"][-1]["remaining_points"] == 9  # what was left just before completion
    [velocity] = project_velocity(project=cv)
    assert (
        velocity["committed_points"],
        velocity["completed_points"],
        velocity["added_points"],
        velocity["removed_points"],
        velocity["carried_over_points"],
    ) == (10, 3, 4, 2, 9)

    # The sprint list no longer reads "3/3 pts done" for it: it shows the same figures.
    page = client.get("/projects/CV/sprints/").content.decode()
    completed = page[page.index('id="sprints-completed"') :]
    assert "3/3 pts done" not in page
    for label, value in (
        ("Committed at start", "10 pts"),
        ("Added", "4"),
        ("Removed", "2"),
        ("Completed", "3"),
        ("Carried over", "9"),
    ):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in completed, label
    detail = client.get(f"/projects/CV/sprints/{sprint.pk}/").content.decode()
    assert "<dt>Carried over</dt><dd>9</dd>" in detail and "<dt>Committed at start</dt><dd>10 pts</dd>" in detail


def test_a_ticket_created_straight_into_a_running_sprint_counts_as_added(cv, pm):
    sprint = SprintFactory(project=cv)
    TicketFactory(project=cv, title="Planned", reporter=pm, sprint=sprint, estimate=5)
    services.sprint_start(sprint=sprint, user=pm)
    TicketFactory(project=cv, title="Urgent fix", reporter=pm, sprint=sprint, estimate=2)
    sprint.refresh_from_db()
    figures = sprint_summaries(sprints=[sprint])[sprint.pk]
    assert (figures["committed"], figures["added"], figures["remaining"]) == (5, 2, 7)


def test_starting_before_the_start_date_offers_today_and_the_burndown_starts_at_the_actual_start(cv, pm, client):
    today = timezone.localdate()
    planned_start = today + datetime.timedelta(days=3)
    sprint = SprintFactory(
        project=cv, name="Sprint 4", start_date=planned_start, end_date=planned_start + datetime.timedelta(days=13)
    )
    TicketFactory(project=cv, title="Work", reporter=pm, sprint=sprint, estimate=5)
    page = client.get(f"/projects/CV/sprints/{sprint.pk}/").content.decode()
    assert 'name="dates" value="today" checked' in page and 'value="today_shift"' in page
    assert f"shift the end date to {(today + datetime.timedelta(days=13)):%b} " in page

    response = client.post(f"/projects/CV/sprints/{sprint.pk}/start/", {"dates": "today_shift"})
    assert response.status_code == 302
    sprint.refresh_from_db()
    assert sprint.state == "active" and sprint.start_date == today
    assert sprint.end_date == today + datetime.timedelta(days=13) and sprint.started_at is not None
    burndown = sprint_burndown(sprint=sprint)
    assert burndown["days"] == [{"date": today, "remaining_points": 5}]


def test_keeping_the_planned_dates_the_burndown_still_shows_remaining_points_from_today(cv, pm):
    today = timezone.localdate()
    sprint = SprintFactory(
        project=cv, start_date=today + datetime.timedelta(days=2), end_date=today + datetime.timedelta(days=9)
    )
    TicketFactory(project=cv, title="Work", reporter=pm, sprint=sprint, estimate=8)
    services.sprint_start(sprint=sprint, user=pm)  # dates="planned" by default
    sprint.refresh_from_db()
    assert sprint.start_date == today + datetime.timedelta(days=2)
    burndown = sprint_burndown(sprint=sprint)
    assert burndown["days"] == [{"date": today, "remaining_points": 8}]
    assert burndown["ideal"][0] == {"date": today, "remaining_points": 8}
    assert burndown["ideal"][-1]["date"] == today + datetime.timedelta(days=9)


def test_starting_today_with_an_end_date_already_past_is_refused_with_a_reason(cv, pm, client):
    today = timezone.localdate()
    sprint = SprintFactory(
        project=cv, start_date=today - datetime.timedelta(days=9), end_date=today - datetime.timedelta(days=2)
    )
    response = client.post(f"/projects/CV/sprints/{sprint.pk}/start/", {"dates": "today"}, follow=True)
    assert "before today: shift the end date" in response.content.decode()
    sprint.refresh_from_db()
    assert sprint.state == "planned"
    assert (
        client.post(f"/projects/CV/sprints/{sprint.pk}/start/", {"dates": "sideways"}, follow=True).status_code == 200
    )
    sprint.refresh_from_db()
    assert sprint.state == "planned"


def test_complete_sprint_asks_first_with_the_carry_over_choice(cv, pm, client):
    sprint = SprintFactory(project=cv, name="Sprint 1")
    following = SprintFactory(project=cv, name="Sprint 2")
    TicketFactory(project=cv, title="Open", reporter=pm, sprint=sprint, estimate=5)
    services.sprint_start(sprint=sprint, user=pm)
    detail = client.get(f"/projects/CV/sprints/{sprint.pk}/").content.decode()
    # The sprint page links to the question; it has no form that completes at once.
    assert f'href="/projects/CV/sprints/{sprint.pk}/complete/"' in detail
    assert f'action="/projects/CV/sprints/{sprint.pk}/complete/"' not in detail
    confirm = client.get(f"/projects/CV/sprints/{sprint.pk}/complete/")
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Complete Sprint 1?" in body and "1 unfinished ticket (5 pts) will carry over" in body
    assert "Move unfinished tickets to" in body and f'<option value="{following.pk}">Sprint 2</option>' in body
    sprint.refresh_from_db()
    assert sprint.state == "active"  # asking changed nothing
    client.post(f"/projects/CV/sprints/{sprint.pk}/complete/", {"move_open_to": following.pk})
    sprint.refresh_from_db()
    assert sprint.state == "completed" and following.tickets.count() == 1


def test_start_sprint_is_disabled_with_the_reason_while_another_is_active(cv, pm, client):
    active = SprintFactory(project=cv, name="Sprint 1")
    services.sprint_start(sprint=active, user=pm)
    planned = SprintFactory(project=cv, name="Sprint 2")
    page = client.get(f"/projects/CV/sprints/{planned.pk}/").content.decode()
    assert 'disabled aria-describedby="start-blocked">Start sprint</button>' in page
    assert "Sprint 1 is active: complete it before starting this one." in page


def test_only_admins_see_the_override_reason_in_the_status_editor(cv, pm, client):
    ticket = TicketFactory(project=cv, title="Train", reporter=pm)
    url = f"/projects/CV/tickets/{ticket.key}/fields/status/"
    assert "Override reason (admins)" in client.get(url).content.decode()
    member = MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user
    client.force_login(member)
    page = client.get(url).content.decode()
    assert 'name="status-value"' in page or "Status" in page
    assert "Override reason" not in page


def test_wording_sprint_names_points_and_history(cv, pm, client):
    sprint = SprintFactory(project=cv, name="Sprint 2", capacity=4)
    services.sprint_start(sprint=sprint, user=pm)
    ticket = TicketFactory(project=cv, title="Label images", reporter=pm, sprint=sprint, estimate=5)
    services.ticket_move(ticket=ticket, user=pm, status="in_progress")
    board = client.get("/projects/CV/board/").content.decode()
    assert "Sprint 2" in board and "Sprint <strong>Sprint 2" not in board and "Sprint Sprint 2" not in board
    detail = client.get(f"/projects/CV/sprints/{sprint.pk}/").content.decode()
    assert "Over capacity by 1 pt:" in detail and "1 pts" not in detail
    page = client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    assert "moved it from <strong>To do</strong> to <strong>In progress</strong>" in page
    assert "in_progress</code>" not in page


def test_epic_type_with_its_childrens_progress_on_its_page_backlog_and_board(cv, pm, client, api):
    created = api.as_user(pm).post(
        "/api/v1/projects/CV/tickets/", {"title": "Recall 0.95", "type": "epic"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["type"] == "epic"
    epic = Ticket.objects.get(key=created.json()["key"])
    done = TicketFactory(project=cv, title="Collect hard cases", reporter=pm, parent=epic, estimate=3)
    TicketFactory(project=cv, title="Retrain", reporter=pm, parent=epic, estimate=5)
    services.ticket_update(ticket=done, user=pm, status="done")
    page = client.get(f"/projects/CV/tickets/{epic.key}/").content.decode()
    assert "Stories in this epic" in page and "1/2 done · 3/8 pts" in page
    backlog = client.get("/projects/CV/backlog/").content.decode()
    row = backlog[backlog.index(f'id="ticket-{epic.key}"') :]
    row = row[: row.index("</tr>")]
    assert "Epic" in row and "1/2 done · 3/8 pts" in row
    board = client.get("/projects/CV/board/?sprint=all").content.decode()
    card = board[board.index(f'id="ticket-{epic.key}"') :]
    assert "1/2 done · 3/8 pts" in card[: card.index("</li>")]


def test_a_stale_move_answers_409_with_the_current_ticket_and_who_changed_it(cv, pm, api):
    dana = MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana", user__display_name="Dana S").user
    ticket = TicketFactory(project=cv, title="Train", reporter=pm)
    services.ticket_move(ticket=ticket, user=dana, status="in_review")
    response = api.as_user(pm).post(
        f"/api/v1/tickets/{ticket.key}/move/", {"status": "in_progress", "version": 1}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["key"] == ticket.key and body["status"] == "in_review" and body["changed_by"] == "Dana S"
    assert Ticket.objects.get(pk=ticket.pk).status.slug == "in_review"


def test_the_api_starts_a_sprint_today_on_request_and_refuses_an_unknown_choice(cv, pm, api):
    today = timezone.localdate()
    sprint = SprintFactory(
        project=cv, start_date=today + datetime.timedelta(days=5), end_date=today + datetime.timedelta(days=11)
    )
    client = api.as_user(pm)
    bad = client.post(f"/api/v1/sprints/{sprint.pk}/start/", {"dates": "yesterday"}, format="json")
    assert bad.status_code == 400 and "dates" in bad.json()
    response = client.post(f"/api/v1/sprints/{sprint.pk}/start/", {"dates": "today"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "active" and body["start_date"] == str(today)
    assert body["end_date"] == str(today + datetime.timedelta(days=11))


def test_an_epic_card_loaded_by_scrolling_shows_its_progress_too(cv, pm, client):
    first = TicketFactory(project=cv, title="First", reporter=pm)
    epic = TicketFactory(project=cv, title="Edge latency", reporter=pm, type="epic")
    TicketFactory(project=cv, title="Quantize", reporter=pm, parent=epic, estimate=2)
    more = client.get(f"/projects/CV/board/todo/more/?sprint=all&after={first.key}").content.decode()
    card = more[more.index(f'id="ticket-{epic.key}"') :]
    assert "0/1 done · 0/2 pts" in card[: card.index("</li>")]

import pytest

from projects import services
from projects.models import Role
from tests.projects.factories import CustomFieldFactory, MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def pm(cv, client):
    user = MembershipFactory(project=cv, role=Role.ADMIN, user__username="pm").user
    client.force_login(user)
    return user


def test_pages_render_for_a_member(cv, pm, client):
    CustomFieldFactory(project=cv, key="dataset", name="Dataset", field_type="select", options=["coco"])
    sprint = SprintFactory(project=cv, capacity=10)
    epic = TicketFactory(project=cv, title="Epic: recall", reporter=pm, type="story")
    ticket = TicketFactory(
        project=cv,
        title="Label images",
        reporter=pm,
        parent=epic,
        sprint=sprint,
        estimate=3,
        description="Depends on CV-1",
        custom_fields={"dataset": "coco"},
    )
    services.comment_create(ticket=ticket, author=pm, body="Looks good @pm")
    for url in [
        f"/projects/CV/tickets/{ticket.key}/",
        "/projects/CV/backlog/",
        "/projects/CV/sprints/",
        f"/projects/CV/sprints/{sprint.pk}/",
        "/projects/CV/tickets/new/",
        "/projects/CV/settings/workflow/",
        "/projects/CV/settings/fields/",
        "/projects/notifications/",
        f"/projects/CV/tickets/{ticket.key}/fields/status/",
        f"/projects/CV/tickets/{ticket.key}/fields/title/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    assert "Label images" in page and 'href="/projects/CV/tickets/CV-1/"' in page and "coco" in page


def test_mention_in_a_comment_shows_in_the_bell_and_the_notification_opens_the_ticket(cv, client):
    from tests.accounts.factories import UserFactory

    author = MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user
    sam = MembershipFactory(project=cv, role=Role.MEMBER, user__username="sam").user
    ticket = TicketFactory(project=cv, title="Check recall", reporter=author)
    client.force_login(author)
    response = client.post(
        f"/projects/CV/tickets/{ticket.key}/comments/", {"body": "@sam can you check?"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "can you check?" in response.content.decode()
    client.force_login(sam)
    page = client.get("/projects/").content.decode()
    assert 'class="bell-count">1<' in page
    notification = sam.notifications.get()
    opened = client.get(f"/projects/notifications/{notification.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/projects/CV/tickets/{ticket.key}/"
    assert "bell-count" not in client.get("/projects/").content.decode()
    client.force_login(UserFactory())
    assert client.get(f"/projects/notifications/{notification.pk}/").status_code == 404


def test_in_place_edit_saves_and_a_stale_edit_shows_both_versions(cv, pm, client):
    ticket = TicketFactory(project=cv, title="Original title", reporter=pm)
    editor = client.get(f"/projects/CV/tickets/{ticket.key}/fields/title/", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="title-version" value="1"' in editor
    saved = client.post(
        f"/projects/CV/tickets/{ticket.key}/fields/title/",
        {"title-value": "Mine first", "title-version": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200 and "Mine first" in saved.content.decode()
    # Someone else edited meanwhile from version 1: their text is kept and shown beside ours.
    stale = client.post(
        f"/projects/CV/tickets/{ticket.key}/fields/title/",
        {"title-value": "Second opinion", "title-version": "1"},
        HTTP_HX_REQUEST="true",
    )
    body = stale.content.decode()
    assert stale.status_code == 200
    assert "Their version" in body and "Mine first" in body and 'value="Second opinion"' in body
    assert 'name="title-version" value="2"' in body
    ticket.refresh_from_db()
    assert ticket.title == "Mine first"
    again = client.post(
        f"/projects/CV/tickets/{ticket.key}/fields/title/",
        {"title-value": "Second opinion", "title-version": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert again.status_code == 200
    ticket.refresh_from_db()
    assert ticket.title == "Second opinion"


def test_viewer_sees_no_edit_controls_and_cannot_post(cv, client):
    viewer = MembershipFactory(project=cv, role=Role.VIEWER).user
    ticket = TicketFactory(project=cv, title="Read only")
    client.force_login(viewer)
    page = client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    assert "inplace-edit" not in page and "Delete ticket" not in page and 'name="body"' not in page
    assert (
        client.post(
            f"/projects/CV/tickets/{ticket.key}/fields/title/", {"title-value": "x", "title-version": "1"}
        ).status_code
        == 403
    )
    assert client.get(f"/projects/CV/tickets/{ticket.key}/fields/title/").status_code == 403
    assert client.get("/projects/CV/backlog/").status_code == 200
    assert client.post("/projects/CV/backlog/create/", {"title": "x", "type": "task"}).status_code == 403
    outsider = MembershipFactory(role=Role.ADMIN).user
    client.force_login(outsider)
    assert client.get(f"/projects/CV/tickets/{ticket.key}/").status_code == 404


def test_sprint_planning_shows_committed_points_against_capacity(cv, pm, client):
    sprint = SprintFactory(project=cv, capacity=5)
    a = TicketFactory(project=cv, title="Small", estimate=3)
    b = TicketFactory(project=cv, title="Big", estimate=5)
    response = client.post(f"/projects/CV/sprints/{sprint.pk}/plan/", {"ticket": [a.key]}, HTTP_HX_REQUEST="true")
    assert '<strong id="committed-points">3</strong>' in response.content.decode()
    response = client.post(f"/projects/CV/sprints/{sprint.pk}/plan/", {"ticket": [b.key]}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert '<strong id="committed-points">8</strong>' in body and "Over capacity by 3 pts" in body


def test_backlog_multi_select_and_drag_rank(cv, pm, client):
    sprint = SprintFactory(project=cv)
    a, b, c = (TicketFactory(project=cv, title=t) for t in ("A", "B", "C"))
    client.post("/projects/CV/backlog/plan/", {"tickets": [a.key, c.key], "sprint": str(sprint.pk)})
    assert set(sprint.tickets.values_list("key", flat=True)) == {a.key, c.key}
    # The backlog's drag goes through the REST API, like the board's move, with its answer
    # (where the ticket is now) and its error shape ({"field": ["message"]}).
    rank = f"/api/v1/tickets/{c.key}/rank/"
    assert client.post(rank, {"before": a.key}, content_type="application/json").status_code == 200
    ranked = client.post(f"/api/v1/tickets/{b.key}/rank/", {"after": c.key}, content_type="application/json")
    assert ranked.status_code == 200
    assert set(ranked.json()) == {"key", "status", "rank", "version", "revision"} and ranked.json()["key"] == b.key
    order = list(cv.tickets.order_by("rank", "id").values_list("title", flat=True))
    assert order == ["C", "B", "A"]
    refused = client.post(f"/api/v1/tickets/{b.key}/rank/", {"after": "CV-999"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json() == {"after": ["No ticket CV-999 in CV."]}
    assert client.post("/api/v1/tickets/CV-999/rank/", {}, content_type="application/json").status_code == 404


def test_workflow_and_custom_field_admin_pages(cv, pm, client):
    client.post("/projects/CV/settings/workflow/", {"name": "QA", "wip_limit": "3"})
    qa = cv.statuses.get(slug="qa")
    assert qa.wip_limit == 3 and qa.position == 4
    client.post(f"/projects/CV/settings/workflow/{qa.pk}/", {"action": "left"})
    assert list(cv.statuses.order_by("position").values_list("slug", flat=True)) == [
        "todo",
        "in_progress",
        "in_review",
        "qa",
        "done",
    ]
    client.post(
        f"/projects/CV/settings/workflow/{qa.pk}/",
        {"action": "save", "name": "Quality check", "is_finished": "on", "wip_limit": ""},
    )
    qa.refresh_from_db()
    assert (qa.name, qa.is_finished, qa.wip_limit, qa.slug) == ("Quality check", True, None, "qa")
    client.post("/projects/CV/settings/fields/", {"name": "Dataset", "field_type": "select", "options": "coco, line3"})
    field = cv.custom_fields.get()
    assert (field.key, field.options) == ("dataset", ["coco", "line3"])
    bad = client.post("/projects/CV/settings/fields/", {"name": "Empty", "field_type": "select", "options": ""})
    assert "needs at least one choice" in bad.content.decode()
    member = MembershipFactory(project=cv, role=Role.MEMBER).user
    client.force_login(member)
    assert client.get("/projects/CV/settings/workflow/").status_code == 403


def test_comment_author_or_admin_deletes_a_comment(cv, client):
    author = MembershipFactory(project=cv, role=Role.MEMBER).user
    other = MembershipFactory(project=cv, role=Role.MEMBER).user
    ticket = TicketFactory(project=cv, title="Talk", reporter=author)
    comment = services.comment_create(ticket=ticket, author=author, body="Mine")
    client.force_login(other)
    assert "Delete comment" not in client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    client.post(f"/projects/CV/tickets/{ticket.key}/comments/{comment.pk}/delete/")
    assert ticket.comments.count() == 1
    client.force_login(author)
    assert "Delete comment" in client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    client.post(f"/projects/CV/tickets/{ticket.key}/comments/{comment.pk}/delete/", HTTP_HX_REQUEST="true")
    assert ticket.comments.count() == 0


def test_custom_field_edits_in_place_and_history_names_the_field(cv, pm, client):
    CustomFieldFactory(project=cv, key="dataset", name="Dataset", field_type="select", options=["coco", "line3"])
    CustomFieldFactory(project=cv, key="gpu_hours", name="GPU hours", field_type="number")
    ticket = TicketFactory(project=cv, title="Train", reporter=pm)
    response = client.post(
        f"/projects/CV/tickets/{ticket.key}/fields/cf_dataset/",
        {"cf_dataset-value": "line3", "cf_dataset-version": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "line3" in response.content.decode()
    bad = client.post(
        f"/projects/CV/tickets/{ticket.key}/fields/cf_gpu_hours/",
        {"cf_gpu_hours-value": "lots", "cf_gpu_hours-version": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert "Enter a number" in bad.content.decode()
    page = client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    assert "changed <strong>Dataset</strong>" in page
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"dataset": "line3"}


def test_backlog_bulk_edit_sets_a_field_on_selected_tickets_with_history(cv, pm, client):
    a, b, c = (TicketFactory(project=cv, title=t) for t in ("A", "B", "C"))
    client.post("/projects/CV/backlog/plan/", {"tickets": [a.key, b.key], "action": "apply", "bulk": "priority:urgent"})
    assert list(cv.tickets.order_by("number").values_list("priority", flat=True)) == ["urgent", "urgent", "medium"]
    assert a.events.filter(field="priority", new_value="urgent", actor=pm).exists()
    client.post("/projects/CV/backlog/plan/", {"tickets": [c.key], "action": "apply", "bulk": "assignee:pm"})
    client.post("/projects/CV/backlog/plan/", {"tickets": [c.key], "action": "apply", "bulk": "status:done"})
    c.refresh_from_db()
    assert c.assignee == pm and c.status.slug == "done" and c.finished_at is not None
    response = client.post(
        "/projects/CV/backlog/plan/", {"tickets": [c.key], "action": "apply", "bulk": "assignee:stranger"}, follow=True
    )
    assert "stranger is not a member" in response.content.decode()


def test_full_create_form_shows_errors_in_the_page_and_creates(cv, pm, client):
    CustomFieldFactory(project=cv, key="gpu_hours", name="GPU hours", field_type="number")
    epic = TicketFactory(project=cv, title="Epic", reporter=pm)
    base = {
        "title": "Quantise",
        "type": "experiment",
        "status": "todo",
        "priority": "high",
        "assignee": "pm",
        "estimate": "5",
        "sprint": "",
        "labels": "edge, experiment",
        "description": "After CV-1",
        "acceptance_criteria": "- [ ] under 40 ms",
    }
    bad = client.post("/projects/CV/tickets/new/", {**base, "parent": "CV-999", "cf_gpu_hours": "12"})
    assert bad.status_code == 200 and "No ticket CV-999 in CV." in bad.content.decode()
    created = client.post("/projects/CV/tickets/new/", {**base, "parent": epic.key, "cf_gpu_hours": "12"})
    assert created.status_code == 302 and created["Location"] == "/projects/CV/tickets/CV-2/"
    ticket = cv.tickets.get(key="CV-2")
    assert (ticket.parent, ticket.assignee, ticket.estimate, ticket.custom_fields) == (epic, pm, 5, {"gpu_hours": 12})
    assert sorted(ticket.labels.values_list("name", flat=True)) == ["edge", "experiment"]


def test_status_edit_shows_finish_check_reasons_and_admin_override(cv, pm, client):
    from projects import hooks

    def gate(ticket, user):
        return ["Recall gate: 0.91 < 0.95."]

    ticket = TicketFactory(project=cv, title="Ship model", reporter=pm)
    hooks.register_finish_guard(gate)
    try:
        refused = client.post(
            f"/projects/CV/tickets/{ticket.key}/fields/status/",
            {"status-value": "done", "status-version": "1"},
            HTTP_HX_REQUEST="true",
        )
        assert "Recall gate: 0.91 &lt; 0.95." in refused.content.decode()
        ticket.refresh_from_db()
        assert ticket.status.slug == "todo"
        moved = client.post(
            f"/projects/CV/tickets/{ticket.key}/fields/status/",
            {"status-value": "done", "status-version": "1", "status-override_reason": "Signed off by QA lead"},
            HTTP_HX_REQUEST="true",
        )
        assert moved.status_code == 200 and "Done" in moved.content.decode()
    finally:
        hooks.finish_guards.remove(gate)
    ticket.refresh_from_db()
    assert ticket.status.slug == "done"
    assert ticket.events.filter(kind="gate_override", data__reason="Signed off by QA lead").exists()

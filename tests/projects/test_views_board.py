"""The board page, its fragments, quick create, the hub section and the live poll."""

import datetime

import pytest
from django.urls import reverse

from projects import live, services
from projects.models import Label, Role, Sprint, SprintState, Ticket, WorkflowStatus
from projects.selectors.board import COLUMN_PAGE_SIZE
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, seed_board

pytestmark = pytest.mark.django_db


def sign_in(client, project, role):
    user = MembershipFactory(project=project, role=role).user
    client.force_login(user)
    return user


def active_sprint(project):
    today = datetime.date.today()
    return Sprint.objects.create(
        project=project,
        name="Sprint 1",
        start_date=today,
        end_date=today + datetime.timedelta(days=14),
        state=SprintState.ACTIVE,
    )


def fill(project, user, count, *, sprint=None, status="todo", **fields):
    column = project.statuses.get(slug=status)
    return [
        services.ticket_create(
            project=project, reporter=user, title=f"Ticket {i}", status=column, sprint=sprint, **fields
        )
        for i in range(count)
    ]


def test_board_shows_columns_cards_and_wip(client):
    project = ProjectFactory(board_mode="kanban")
    member = sign_in(client, project, Role.MEMBER)
    WorkflowStatus.objects.filter(project=project, slug="in_progress").update(wip_limit=1)
    label = Label.objects.create(project=project, name="vision", color="#ff0000")
    (first,) = fill(project, member, 1, type="bug", priority="urgent", estimate=5, assignee=member, labels=[label])
    fill(project, member, 2, status="in_progress")

    response = client.get(reverse("projects:board", args=[project.key]))

    body = response.content.decode()
    assert response.status_code == 200
    for name in ("To do", "In progress", "In review", "Done"):
        assert name in body
    assert f'id="ticket-{first.key}"' in body
    assert "vision" in body and ">5<" in body and member.initials in body
    assert "2 / 1" in body and "WIP limit exceeded" in body
    assert 'class="drag-handle"' in body and "quick-create" in body
    assert 'id="live"' in body


def test_viewer_sees_no_drag_handles_nor_create(client):
    project = ProjectFactory(board_mode="kanban")
    fill(project, UserFactory(), 2)
    sign_in(client, project, Role.VIEWER)
    body = client.get(reverse("projects:board", args=[project.key])).content.decode()
    assert 'class="drag-handle"' not in body
    assert "quick-create" not in body and 'data-can-edit="false"' in body
    assert "sortable" not in body


def test_non_member_gets_404(client):
    project = ProjectFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("projects:board", args=[project.key])).status_code == 404
    assert client.get(reverse("projects:live", args=[project.key])).status_code == 404


def test_scrum_board_shows_the_active_sprint_only(client):
    project = ProjectFactory()
    member = sign_in(client, project, Role.MEMBER)
    sprint = active_sprint(project)
    (in_sprint,) = fill(project, member, 1, sprint=sprint)
    (backlog,) = fill(project, member, 1)
    body = client.get(reverse("projects:board", args=[project.key])).content.decode()
    assert in_sprint.key in body and f"ticket-{backlog.key}" not in body
    everything = client.get(reverse("projects:board", args=[project.key]), {"sprint": "all"}).content.decode()
    assert f"ticket-{backlog.key}" in everything


def test_unknown_sprint_is_404(client):
    project = ProjectFactory()
    sign_in(client, project, Role.MEMBER)
    url = reverse("projects:board", args=[project.key])
    assert client.get(url, {"sprint": "9" * 30}).status_code == 404
    assert client.get(url, {"sprint": "12345"}).status_code == 404


def test_scrum_board_without_active_sprint_says_so(client):
    project = ProjectFactory()
    member = sign_in(client, project, Role.MEMBER)
    (ticket,) = fill(project, member, 1)
    body = client.get(reverse("projects:board", args=[project.key])).content.decode()
    assert "No sprint is active" in body and f"ticket-{ticket.key}" not in body


def test_filters_by_assignee_label_and_type(client):
    project = ProjectFactory(board_mode="kanban")
    member = sign_in(client, project, Role.MEMBER)
    label = Label.objects.create(project=project, name="data")
    (mine,) = fill(project, member, 1, assignee=member)
    (labelled,) = fill(project, member, 1, labels=[label])
    (bug,) = fill(project, member, 1, type="bug")
    url = reverse("projects:board", args=[project.key])

    def keys(**query):
        body = client.get(url, query, HTTP_HX_REQUEST="true").content.decode()
        return {t.key for t in (mine, labelled, bug) if f"ticket-{t.key}" in body}

    assert keys() == {mine.key, labelled.key, bug.key}
    assert keys(assignee=member.username) == {mine.key}
    assert keys(assignee="none") == {labelled.key, bug.key}
    assert keys(label="data") == {labelled.key}
    assert keys(type="bug") == {bug.key}


def test_htmx_request_gets_the_board_fragment_only(client):
    project = ProjectFactory(board_mode="kanban")
    sign_in(client, project, Role.MEMBER)
    body = client.get(reverse("projects:board", args=[project.key]), HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="board"') and "<html" not in body


def test_a_long_column_loads_lazily(client):
    project = ProjectFactory(board_mode="kanban")
    member = sign_in(client, project, Role.MEMBER)
    size = COLUMN_PAGE_SIZE
    tickets = fill(project, member, 2 * size + 15)
    url = reverse("projects:board", args=[project.key])
    body = client.get(url).content.decode()
    assert body.count('class="board-card ') == size
    assert 'hx-trigger="intersect once"' in body
    more = reverse("projects:board_more", args=[project.key, "todo"])
    page2 = client.get(more, {"after": tickets[size - 1].key}, HTTP_HX_REQUEST="true").content.decode()
    assert page2.count('class="board-card ') == size
    assert f"ticket-{tickets[size].key}" in page2 and f"after={tickets[2 * size - 1].key}" in page2
    page3 = client.get(more, {"after": tickets[2 * size - 1].key}, HTTP_HX_REQUEST="true").content.decode()
    assert page3.count('class="board-card ') == 15 and "board-more" not in page3


def test_a_refresh_keeps_the_cards_loaded_by_scrolling(client):
    project = ProjectFactory(board_mode="kanban")
    member = sign_in(client, project, Role.MEMBER)
    fill(project, member, 3 * COLUMN_PAGE_SIZE)
    url = reverse("projects:board", args=[project.key])
    refreshed = client.get(url, {"shown": 2 * COLUMN_PAGE_SIZE}, HTTP_HX_REQUEST="true").content.decode()
    assert refreshed.count('class="board-card ') == 2 * COLUMN_PAGE_SIZE
    bounded = client.get(url, {"shown": "100000"}, HTTP_HX_REQUEST="true").content.decode()
    assert bounded.count('class="board-card ') == 3 * COLUMN_PAGE_SIZE
    junk = client.get(url, {"shown": "-3"}, HTTP_HX_REQUEST="true").content.decode()
    assert junk.count('class="board-card ') == COLUMN_PAGE_SIZE


def test_quick_create_adds_a_ticket_to_the_column(client):
    project = ProjectFactory()
    member = sign_in(client, project, Role.MEMBER)
    sprint = active_sprint(project)
    doing = project.statuses.get(slug="in_progress")
    url = reverse("projects:board_quick_create", args=[project.key])
    response = client.post(
        url,
        {"title": "Label 200 images", "status": doing.pk, "type": "task", "sprint": str(sprint.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get(project=project, title="Label 200 images")
    assert (ticket.status, ticket.sprint, ticket.reporter) == (doing, sprint, member)
    assert "aihub:live" in response["HX-Trigger"]

    empty = client.post(url, {"title": "   ", "status": doing.pk, "type": "task"}, HTTP_HX_REQUEST="true")
    # htmx swaps only 2xx answers: the form comes back with its error inline
    assert empty.status_code == 200 and "has-error" in empty.content.decode()
    assert Ticket.objects.filter(project=project).count() == 1


def test_viewer_cannot_quick_create(client):
    project = ProjectFactory()
    sign_in(client, project, Role.VIEWER)
    response = client.post(
        reverse("projects:board_quick_create", args=[project.key]),
        {"title": "x", "status": project.statuses.first().pk, "type": "task"},
    )
    assert response.status_code == 403
    assert not Ticket.objects.filter(project=project).exists()


def test_board_tab_and_hub_section(client):
    project = ProjectFactory(board_mode="kanban")
    member = sign_in(client, project, Role.MEMBER)
    WorkflowStatus.objects.filter(project=project, slug="todo").update(wip_limit=2)
    fill(project, member, 3)
    hub = client.get(reverse("projects:hub", args=[project.key])).content.decode()
    assert reverse("projects:board", args=[project.key]) in hub
    assert reverse("projects:board_summary", args=[project.key]) in hub
    summary = client.get(reverse("projects:board_summary", args=[project.key])).content.decode()
    assert "3 / 2" in summary and "over WIP limit" in summary


def test_live_poll_answers_304_until_something_changes(client, django_assert_max_num_queries):
    project = ProjectFactory()
    member = sign_in(client, project, Role.VIEWER)
    url = reverse("projects:live", args=[project.key])
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200
    with django_assert_max_num_queries(3):  # session, user, membership
        unchanged = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    live._bump(project.pk)  # what a committed write does
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert member  # a viewer may poll: the poll carries no data


@pytest.mark.django_db(transaction=True)
def test_a_committed_move_changes_the_revision(client):
    project = ProjectFactory()
    member = sign_in(client, project, Role.MEMBER)
    (ticket,) = fill(project, member, 1)
    url = reverse("projects:live", args=[project.key])
    etag = client.get(url)["ETag"]
    services.ticket_move(ticket=ticket, user=member, status="in_progress")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_board_page_query_budget_is_constant(client, django_assert_max_num_queries, count):
    project = ProjectFactory()
    member = sign_in(client, project, Role.MEMBER)
    sprint = active_sprint(project)
    labels = [Label.objects.create(project=project, name=f"l{i}") for i in range(3)]
    seed_board(project, member, sprint, labels, count)
    with django_assert_max_num_queries(16):  # 14 today: 12 for the board, 2 for the page header
        response = client.get(reverse("projects:board", args=[project.key]))
    assert response.status_code == 200
    shown = response.content.decode().count('class="board-card ')
    assert shown == {10: 10, 1000: 4 * COLUMN_PAGE_SIZE}[count]  # four columns, the first cards of each


def test_cards_show_the_custom_fields_chosen_for_cards(client, api):
    project = ProjectFactory(board_mode="kanban")
    member = sign_in(client, project, Role.MEMBER)
    services.custom_field_create(
        project=project, name="Dataset", field_type="select", options=["coco", "voc"], show_on_card=True
    )
    services.custom_field_create(project=project, name="Notes", field_type="text")
    (ticket,) = fill(project, member, 1)
    Ticket.objects.filter(pk=ticket.pk).update(custom_fields={"dataset": "coco", "notes": "secret-ish detail"})
    body = client.get(reverse("projects:board", args=[project.key])).content.decode()
    assert "Dataset: coco" in body and "secret-ish detail" not in body
    card = api.as_user(member).get(f"/api/v1/projects/{project.key}/board/").json()["columns"][0]["tickets"][0]
    assert card["fields"] == {"dataset": "coco"}

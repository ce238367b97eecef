"""Tickets to CSV: the backlog's "Export CSV" carries its filters, the API takes the tickets
list's filters; columns (custom fields as cf_<key>), formula cells quoted, streamed with the
same number of queries for 5 and 300 tickets."""

import csv
import io

import pytest
from django.utils import timezone

from projects import services
from projects.models import CustomField, Label, Role, SprintState, Ticket
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def board():
    project = ProjectFactory(key="CSV")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    ml = Label.objects.create(project=project, name="ml")
    Label.objects.create(project=project, name="data")
    CustomField.objects.create(project=project, key="dataset", name="Dataset", field_type="select", options=["a", "b"])
    CustomField.objects.create(project=project, key="tags", name="Tags", field_type="multi_select", options=["x", "y"])
    done_sprint = SprintFactory(project=project)
    first = services.ticket_create(
        project=project,
        reporter=member,
        title='=HYPERLINK("http://evil")',
        type="bug",
        priority="high",
        assignee=member.username,
        labels=["ml", "data"],
        estimate=3,
        custom_fields={"dataset": "a", "tags": ["x", "y"]},
    )
    services.ticket_create(project=project, reporter=member, title="@SUM(A1)", parent=first.key, labels=["ml"])
    services.ticket_create(project=project, reporter=member, title="Plain", priority="low", sprint=done_sprint.pk)
    done_sprint.state = SprintState.COMPLETED  # completed after CSV-3 joined it
    done_sprint.save()
    del ml
    return project, member


def test_api_csv_columns_values_and_formula_cells(api, board):
    _, member = board
    got = rows(api.as_user(member).get("/api/v1/projects/CSV/tickets/export.csv"))
    assert [r["key"] for r in got] == ["CSV-1", "CSV-2", "CSV-3"]
    assert list(got[0]) == [
        "key", "title", "type", "status", "priority", "assignee", "reporter", "estimate", "sprint", "labels",
        "parent", "due_date", "created_at", "updated_at", "finished_at", "cf_dataset", "cf_tags",
    ]  # fmt: skip
    first = got[0]
    assert first["title"] == '\'=HYPERLINK("http://evil")' and got[1]["title"] == "'@SUM(A1)"
    assert (first["type"], first["status"], first["priority"], first["assignee"]) == (
        "bug",
        "To do",
        "high",
        member.username,
    )
    assert first["labels"] == "data, ml" and first["estimate"] == "3"
    assert (first["cf_dataset"], first["cf_tags"]) == ("a", "x; y")
    assert got[1]["parent"] == "CSV-1" and got[2]["sprint"]


def test_api_csv_respects_the_tickets_list_filters(api, board):
    _, member = board
    client = api.as_user(member)

    def keys(query):
        return [r["key"] for r in rows(client.get(f"/api/v1/projects/CSV/tickets/export.csv?{query}"))]

    assert keys("label=ml") == ["CSV-1", "CSV-2"]
    assert keys("priority=high,low") == ["CSV-1", "CSV-3"]
    assert keys("type=bug") == ["CSV-1"]
    assert keys("parent=CSV-1") == ["CSV-2"]
    assert keys("cf_dataset=a") == ["CSV-1"]
    assert keys("assignee=me") == ["CSV-1"]
    assert keys("q=plain") == ["CSV-3"]
    assert keys("sprint=backlog") == ["CSV-1", "CSV-2"]


def test_backlog_export_link_carries_the_filters_and_lists_what_the_backlog_lists(client, board):
    _, member = board
    client.force_login(member)
    page = client.get("/projects/CSV/backlog/?label=ml&priority=high").content.decode()
    assert 'href="/projects/CSV/backlog/export.csv?label=ml&amp;priority=high"' in page
    assert [r["key"] for r in rows(client.get("/projects/CSV/backlog/export.csv?label=ml&priority=high"))] == ["CSV-1"]
    # Unfiltered: the backlog leaves out tickets of completed sprints (CSV-3), as the page does.
    assert [r["key"] for r in rows(client.get("/projects/CSV/backlog/export.csv"))] == ["CSV-1", "CSV-2"]


def test_non_members_get_404(api, client, board):
    from tests.accounts.factories import UserFactory

    outsider = UserFactory()
    assert api.as_user(outsider).get("/api/v1/projects/CSV/tickets/export.csv").status_code == 404
    client.force_login(outsider)
    assert client.get("/projects/CSV/backlog/export.csv").status_code == 404


@pytest.mark.parametrize("count", [5, 300])
def test_csv_costs_the_same_queries_at_two_sizes(api, client, django_assert_max_num_queries, count):
    project = ProjectFactory(key="BIG")
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    labels = Label.objects.bulk_create(Label(project=project, name=f"l{i}") for i in range(3))
    CustomField.objects.create(project=project, key="dataset", name="Dataset", field_type="text")
    todo, sprint, now = project.statuses.get(slug="todo"), SprintFactory(project=project), timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            project=project, number=n, key=f"BIG-{n}", title=f"T{n}", status=todo, rank=n, created_at=now,
            assignee=member if n % 2 else None, sprint=sprint if n % 3 else None, custom_fields={"dataset": f"d{n}"},
        )
        for n in range(1, count + 1)
    )  # fmt: skip
    Ticket.labels.through.objects.bulk_create(
        Ticket.labels.through(ticket_id=t.pk, label_id=labels[i % 3].pk) for i, t in enumerate(tickets)
    )
    authed = api.as_user(member)
    with django_assert_max_num_queries(6):  # token and user, project, custom fields, tickets, labels
        got = rows(authed.get("/api/v1/projects/BIG/tickets/export.csv?label=l1"))
    assert len(got) == len([i for i in range(count) if i % 3 == 1])
    client.force_login(member)
    with django_assert_max_num_queries(7):  # session, user, project, custom fields, tickets, labels
        got = rows(client.get("/projects/BIG/backlog/export.csv"))
    assert len(got) == count and got[0]["cf_dataset"] == "d1"

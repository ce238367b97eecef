import datetime

import pytest
from django.core.exceptions import ValidationError

from projects import services
from projects.models import Role, Sprint, Ticket, TicketEvent
from tests.projects.factories import CustomFieldFactory, MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def pm(cv):
    return MembershipFactory(project=cv, role=Role.ADMIN).user


def test_planning_records_sprint_moves_and_bumps_versions(cv, pm):
    sprint = SprintFactory(project=cv, name="S1")
    a, b = TicketFactory(project=cv, title="A"), TicketFactory(project=cv, title="B")
    assert services.sprint_add_tickets(sprint=sprint, tickets=[a, b], user=pm, project=cv) == 2
    assert services.sprint_add_tickets(sprint=sprint, tickets=[a], user=pm, project=cv) == 0  # already there
    a.refresh_from_db()
    assert a.sprint_id == sprint.pk and a.version == 2
    event = TicketEvent.objects.get(ticket=a, field="sprint")
    assert (event.old_value, event.new_value, event.data) == ("", "S1", {"old_id": None, "new_id": sprint.pk})
    other_project_sprint = SprintFactory()
    with pytest.raises(ValidationError):
        services.sprint_add_tickets(sprint=other_project_sprint, tickets=[a], user=pm, project=cv)


def test_only_planned_sprints_start_and_only_active_ones_complete(cv, pm):
    sprint = SprintFactory(project=cv)
    with pytest.raises(ValidationError):
        services.sprint_complete(sprint=sprint, user=pm)
    services.sprint_start(sprint=sprint, user=pm)
    with pytest.raises(ValidationError):
        services.sprint_start(sprint=sprint, user=pm)
    services.sprint_complete(sprint=sprint, user=pm)
    with pytest.raises(ValidationError) as error:
        services.sprint_update(sprint=Sprint.objects.get(pk=sprint.pk), name="Renamed")
    assert "completed" in str(error.value)
    with pytest.raises(ValidationError):
        services.sprint_add_tickets(
            sprint=Sprint.objects.get(pk=sprint.pk), tickets=[TicketFactory(project=cv, title="x")], user=pm, project=cv
        )


def test_sprint_dates_and_deletion(cv, pm):
    today = datetime.date.today()
    with pytest.raises(ValidationError) as error:
        services.sprint_create(
            project=cv, name="Backwards", start_date=today, end_date=today - datetime.timedelta(days=1)
        )
    assert "end_date" in error.value.message_dict
    sprint = services.sprint_create(project=cv, name="S", start_date=today, end_date=today, capacity=10)
    ticket = TicketFactory(project=cv, title="Planned", sprint=sprint)
    services.sprint_delete(sprint=sprint, user=pm)
    ticket.refresh_from_db()
    assert ticket.sprint_id is None and not Sprint.objects.filter(pk=sprint.pk).exists()


def test_workflow_statuses(cv, pm):
    qa = services.status_add(project=cv, name="QA review", wip_limit=2)
    assert (qa.slug, qa.wip_limit) == ("qa_review", 2)
    with pytest.raises(ValidationError):
        services.status_add(project=cv, name="QA review")
    with pytest.raises(ValidationError):
        services.status_update(status=qa, wip_limit=0)
    services.status_move(status=qa, offset=-10)
    assert cv.statuses.order_by("position").values_list("slug", flat=True).first() == "qa_review"
    ticket = TicketFactory(project=cv, title="In QA", status=qa)
    with pytest.raises(ValidationError) as error:
        services.status_delete(status=qa)
    assert "move_to" in error.value.message_dict
    services.status_delete(status=qa, move_to=cv.statuses.get(slug="todo"))
    assert Ticket.objects.get(pk=ticket.pk).status.slug == "todo"
    with pytest.raises(ValidationError):
        services.status_delete(status=cv.statuses.get(slug="done"))  # the last finished status
    with pytest.raises(ValidationError):
        services.statuses_reorder(project=cv, slugs=["todo", "done"])


def test_deleting_a_custom_field_removes_its_values(cv, pm):
    field = CustomFieldFactory(project=cv, key="dataset", name="Dataset", field_type="text")
    CustomFieldFactory(project=cv, key="notes", name="Notes", field_type="text")
    ticket = TicketFactory(project=cv, title="T", custom_fields={"dataset": "coco", "notes": "keep"})
    services.custom_field_delete(field=field)
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"notes": "keep"}


@pytest.mark.parametrize(
    "field_type, value, stored",
    [
        ("text", "  hello ", "hello"),
        ("number", "3.5", 3.5),
        ("number", 4, 4),
        ("date", "2026-11-23", "2026-11-23"),
        ("checkbox", "yes", True),
        ("checkbox", False, False),
        ("url", "https://arxiv.org/abs/1", "https://arxiv.org/abs/1"),
        ("multi_select", "b, a", ["a", "b"]),
        ("select", "a", "a"),
    ],
)
def test_custom_field_values_are_stored_by_type(cv, field_type, value, stored):
    field = CustomFieldFactory(project=cv, key="f", name="F", field_type=field_type, options=["a", "b"])
    assert services.custom_field_values_clean(project=cv, values={"f": value}, fields=[field]) == {"f": stored}


@pytest.mark.parametrize(
    "field_type, value",
    [
        ("number", "NaN"),
        ("number", True),
        ("date", "2026-13-01"),
        ("checkbox", "maybe"),
        ("url", "javascript:alert(1)"),
        ("url", "ftp://x"),
        ("select", "c"),
        ("multi_select", {"a": 1}),
        ("multi_select", ["a", "z"]),
    ],
)
def test_custom_field_values_of_the_wrong_type_are_refused(cv, field_type, value):
    field = CustomFieldFactory(project=cv, key="f", name="F", field_type=field_type, options=["a", "b"])
    with pytest.raises(ValidationError) as error:
        services.custom_field_values_clean(project=cv, values={"f": value}, fields=[field])
    assert "custom_fields" in error.value.message_dict


def test_backlog_rank_renumbers_when_two_neighbours_leave_no_room(cv, pm):
    a, b, c = (TicketFactory(project=cv, title=t) for t in ("A", "B", "C"))
    Ticket.objects.filter(pk=a.pk).update(rank=10)
    Ticket.objects.filter(pk=b.pk).update(rank=11)  # no integer between A and B
    Ticket.objects.filter(pk=c.pk).update(rank=500)
    services.ticket_rank(ticket=c, user=pm, after=Ticket.objects.get(pk=a.pk))
    assert list(cv.tickets.order_by("rank", "id").values_list("title", flat=True)) == ["A", "C", "B"]
    services.ticket_rank(ticket=b, user=pm)  # no anchor: the top
    assert list(cv.tickets.order_by("rank", "id").values_list("title", flat=True)) == ["B", "A", "C"]
    with pytest.raises(ValidationError):
        services.ticket_rank(ticket=b, user=pm, after=TicketFactory(project=ProjectFactory(), title="Elsewhere"))

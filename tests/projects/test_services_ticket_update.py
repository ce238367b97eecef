import pytest
from django.core.exceptions import ValidationError

from aihub.exceptions import StaleVersion
from projects import hooks, services
from projects.models import Role, TicketEvent
from projects.ticket_links import linkify_ticket_keys, mentions_in, ticket_keys_in
from tests.projects.factories import CustomFieldFactory, MembershipFactory, ProjectFactory, SprintFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def dana(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


def test_update_records_one_event_per_changed_field_and_bumps_version(cv, dana):
    ticket = TicketFactory(project=cv, title="Label images")
    updated = services.ticket_update(
        ticket=ticket,
        user=dana,
        version=1,
        title="Label 5k images",
        priority="high",
        estimate=5,
        assignee=dana,
        description="See CV-1",
    )
    assert updated.version == 2
    events = {e.field: (e.old_value, e.new_value, e.actor) for e in TicketEvent.objects.filter(kind="changed")}
    assert events["title"] == ("Label images", "Label 5k images", dana)
    assert events["priority"] == ("medium", "high", dana)
    assert events["estimate"] == ("", "5", dana)
    assert events["assignee"] == ("", "dana", dana)
    assert 'href="/projects/CV/tickets/CV-1/"' in updated.description_html


def test_unchanged_values_leave_no_history_and_keep_the_version(cv, dana):
    ticket = TicketFactory(project=cv, title="Same")
    again = services.ticket_update(ticket=ticket, user=dana, title="Same", priority="medium")
    assert again.version == 1
    assert not TicketEvent.objects.filter(kind="changed").exists()


def test_stale_version_is_refused_and_changes_nothing(cv, dana):
    ticket = TicketFactory(project=cv, title="Original")
    services.ticket_update(ticket=ticket, user=dana, version=1, title="Theirs")
    with pytest.raises(StaleVersion) as raised:
        services.ticket_update(ticket=ticket, user=dana, version=1, title="Mine")
    assert raised.value.current.title == "Theirs"
    ticket.refresh_from_db()
    assert (ticket.title, ticket.version) == ("Theirs", 2)


def test_status_change_goes_through_the_move_and_its_finish_guards(cv, dana):
    blocker = lambda ticket, user: ["The recall gate has not passed."]  # noqa: E731
    first = TicketFactory(project=cv, title="First")
    TicketFactory(project=cv, title="Second", status=cv.statuses.get(slug="in_progress"))
    hooks.register_finish_guard(blocker)
    try:
        with pytest.raises(ValidationError) as refused:
            services.ticket_update(ticket=first, user=dana, status="done")
        assert "recall gate" in str(refused.value)
    finally:
        hooks.finish_guards.remove(blocker)
    moved = services.ticket_update(ticket=first, user=dana, status="in_progress", title="First, renamed")
    assert moved.status.slug == "in_progress"
    assert moved.version == 3  # one for the move, one for the title
    column = list(cv.tickets.filter(status__slug="in_progress").order_by("rank").values_list("title", flat=True))
    assert column == ["Second", "First, renamed"]  # at the end of its new column
    assert TicketEvent.objects.filter(ticket=first, kind="moved", old_value="todo", new_value="in_progress").exists()


def test_assignee_must_be_a_member_and_sprint_of_the_project(cv, dana):
    from tests.accounts.factories import UserFactory

    ticket = TicketFactory(project=cv, title="Scoped")
    with pytest.raises(ValidationError) as error:
        services.ticket_update(ticket=ticket, user=dana, assignee=UserFactory(username="outsider"))
    assert "assignee" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.ticket_update(ticket=ticket, user=dana, sprint=SprintFactory())
    assert "sprint" in error.value.message_dict


def test_parent_cycles_are_refused(cv, dana):
    epic = TicketFactory(project=cv, title="Epic")
    story = TicketFactory(project=cv, title="Story", parent=epic)
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=epic, user=dana, parent=story)


def test_custom_fields_are_validated_by_type(cv, dana):
    CustomFieldFactory(project=cv, key="dataset", name="Dataset", field_type="select", options=["coco", "line3"])
    CustomFieldFactory(project=cv, key="gpu_hours", name="GPU hours", field_type="number")
    CustomFieldFactory(project=cv, key="paper", name="Paper", field_type="url")
    ticket = TicketFactory(project=cv, title="Train", custom_fields={"dataset": "line3", "gpu_hours": "12"})
    assert ticket.custom_fields == {"dataset": "line3", "gpu_hours": 12}
    with pytest.raises(ValidationError) as error:
        services.ticket_update(
            ticket=ticket, user=dana, custom_fields={"dataset": "imagenet", "paper": "nope", "color": "red"}
        )
    messages = " ".join(error.value.message_dict["custom_fields"])
    assert "Choose one of: coco, line3" in messages and "Paper" in messages and "color" in messages
    updated = services.ticket_update(ticket=ticket, user=dana, custom_fields={"gpu_hours": None})
    assert updated.custom_fields == {"dataset": "line3"}
    assert TicketEvent.objects.filter(ticket=ticket, field="custom_fields.gpu_hours", old_value="12").exists()


def test_ticket_key_linkifier_links_real_tickets_and_leaves_code_and_links_alone(cv):
    for i in range(7):
        TicketFactory(project=cv, title=f"T{i}")
    elsewhere = ProjectFactory(key="NLP")
    TicketFactory(project=elsewhere, title="Other project")
    text = "Fixes CV-3, see [CV-4](http://x/CV-4) and `CV-5`; not ABCV-6x nor /CV-7. GPT-4 beats CV-99? NLP-1"
    out = linkify_ticket_keys(text, project=cv)
    assert "GPT-4 beats CV-99? NLP-1" in out  # no such tickets here: plain words
    assert "[NLP-1]" in linkify_ticket_keys("NLP-1")  # without a project: any existing ticket
    assert "[CV-3](/projects/CV/tickets/CV-3/)" in out
    assert "[CV-4](http://x/CV-4)" in out and "`CV-5`" in out
    assert ticket_keys_in(text) == ["CV-3", "CV-4", "GPT-4", "CV-99", "NLP-1"]
    assert mentions_in("hi @dana and @sam. mail a@b.c `@code`") == ["dana", "sam"]


def test_acceptance_criteria_render_as_a_sanitized_checklist(cv, dana):
    ticket = TicketFactory(
        project=cv, title="Ship", acceptance_criteria="- [x] recall ≥ 0.95\n- [ ] latency <script>x</script>"
    )
    assert 'type="checkbox"' in ticket.acceptance_criteria_html and "<script" not in ticket.acceptance_criteria_html
    updated = services.ticket_update(ticket=ticket, user=dana, acceptance_criteria="Blocked by CV-1")
    assert 'href="/projects/CV/tickets/CV-1/"' in updated.acceptance_criteria_html


def test_assigning_someone_else_notifies_them(cv, dana):
    from projects.models import Notification

    sam = MembershipFactory(project=cv, role=Role.MEMBER, user__username="sam").user
    ticket = TicketFactory(project=cv, title="Review the sweep")
    services.ticket_update(ticket=ticket, user=dana, assignee=sam)
    services.ticket_update(ticket=ticket, user=dana, assignee=dana)  # taking it yourself: no notice
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [("sam", "assigned")]

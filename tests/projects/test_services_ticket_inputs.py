"""ticket_create and ticket_update take fields as a client writes them (status slug,
username, sprint id, label names, parent key) and resolve them in their own transaction:
one request, one service, one transaction."""

import pytest
from django.core.exceptions import ValidationError

from projects import services
from projects.models import Label, Role
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


@pytest.fixture
def dana(cv):
    return MembershipFactory(project=cv, role=Role.MEMBER, user__username="dana").user


def test_client_values_are_resolved_and_new_labels_made(cv, dana):
    ticket = services.ticket_create(
        project=cv, reporter=dana, title="Train", status="in_progress", assignee="dana", labels=["nlp", "vision"]
    )
    assert ticket.status.slug == "in_progress" and ticket.assignee == dana
    assert sorted(ticket.labels.values_list("name", flat=True)) == ["nlp", "vision"]
    updated = services.ticket_update(ticket=ticket, user=dana, labels=["nlp", "audio"], parent=None)
    assert sorted(updated.labels.values_list("name", flat=True)) == ["audio", "nlp"]


def test_a_refused_ticket_leaves_no_new_label_behind(cv, dana):
    with pytest.raises(ValidationError) as refused:
        services.ticket_create(project=cv, reporter=dana, title="Train", assignee="nobody", labels=["fresh"])
    assert "assignee" in refused.value.message_dict
    ticket = services.ticket_create(project=cv, reporter=dana, title="Train")
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, user=dana, labels=["fresher"], status="shipped")
    assert not Label.objects.filter(project=cv).exists()


def test_bulk_update_keeps_what_it_could_and_says_what_it_refused(cv, dana):
    a = services.ticket_create(project=cv, reporter=dana, title="A")
    b = services.ticket_create(project=cv, reporter=dana, title="B")
    changed, refused = services.tickets_bulk_update(tickets=[a, b], user=dana, field="assignee", value="dana")
    assert (changed, refused) == (2, [])
    changed, refused = services.tickets_bulk_update(tickets=[a], user=dana, field="status", value="shipped")
    assert changed == 0 and refused[0].startswith(f"{a.key}: ")

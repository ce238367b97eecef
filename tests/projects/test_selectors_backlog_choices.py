"""The backlog's filter and bulk-edit choices come from one SQL statement (issue 12, target
6) and offer what `ticket_choices` offers, in the same orders."""

import datetime

import pytest

from projects.models import SprintState
from projects.selectors import backlog_choices, ticket_choices
from tests.accounts.factories import UserFactory
from tests.projects.factories import (
    CustomFieldFactory,
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    SprintFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


def _as_rows(choices: dict) -> dict:
    """ticket_choices' model instances as the plain rows backlog_choices gives."""
    return {
        "statuses": [{"slug": s.slug, "name": s.name} for s in choices["statuses"]],
        "members": [{"username": u.username, "label": u.label} for u in choices["members"]],
        "sprints": [{"pk": s.pk, "name": s.name, "state": s.state} for s in choices["sprints"]],
        "labels": [{"name": label.name} for label in choices["labels"]],
        "parents": list(choices["parents"]),
        "custom_fields": [
            {"key": f.key, "name": f.name, "field_type": f.field_type, "options": f.options}
            for f in choices["custom_fields"]
        ],
        "types": choices["types"],
        "priorities": choices["priorities"],
    }


def test_backlog_choices_match_the_ticket_forms_in_one_query(django_assert_num_queries):
    project = ProjectFactory()
    other = ProjectFactory()  # nothing of it shows
    for username, display_name, first, last in (
        ("zoe", "", "", ""),
        ("adam", "Adam <b>Ng</b>", "", ""),
        ("mia", "", "Mia", "Rossi"),
        ("Bob", "", "", "Lee"),
    ):
        user = UserFactory(username=username, display_name=display_name, first_name=first, last_name=last)
        MembershipFactory(project=project, user=user)
    MembershipFactory(project=other)
    today = datetime.date.today()
    SprintFactory(project=project, name="Later", start_date=today + datetime.timedelta(days=14))
    SprintFactory(project=project, name="Now", start_date=today, state=SprintState.ACTIVE)
    SprintFactory(project=project, name="Done", start_date=today - datetime.timedelta(days=14), state="completed")
    SprintFactory(project=other, name="Elsewhere")
    for name in ("vision", "Data", "äudio", "nlp"):
        LabelFactory(project=project, name=name)
    LabelFactory(project=other, name="hidden")
    reporter = UserFactory()
    epic = TicketFactory(project=project, reporter=reporter, title="Epic: 'data' & <labels>", type="epic")
    first = TicketFactory(project=project, reporter=reporter, title="Parent first")
    TicketFactory(project=project, reporter=reporter, title="Child", parent=epic)
    TicketFactory(project=project, reporter=reporter, title="Child 2", parent=first)
    TicketFactory(project=project, reporter=reporter, title="Not a parent")
    CustomFieldFactory(project=project, key="team", name="Team", field_type="select", options=["CV", "NLP"], position=2)
    CustomFieldFactory(project=project, key="gpu", name="Needs a GPU", field_type="checkbox", position=1)
    CustomFieldFactory(project=project, key="notes", name="Notes", field_type="text", position=1)
    CustomFieldFactory(project=other, key="team", name="Team elsewhere", field_type="select", options=["x"])

    with django_assert_num_queries(1):
        found = backlog_choices(project=project)
    assert found == _as_rows(ticket_choices(project=project))
    assert [m["username"] for m in found["members"]] == ["Bob", "adam", "mia", "zoe"]
    assert [m["label"] for m in found["members"]] == ["Lee", "Adam <b>Ng</b>", "Mia Rossi", "zoe"]
    assert [s["name"] for s in found["sprints"]] == ["Now", "Later"]
    assert [p["title"] for p in found["parents"]] == ["Epic: 'data' & <labels>", "Parent first"]
    assert found["custom_fields"][-1]["options"] == ["CV", "NLP"]


def test_a_project_without_choices_offers_its_statuses_only():
    project = ProjectFactory()
    found = backlog_choices(project=project)
    assert [s["slug"] for s in found["statuses"]] == [s.slug for s in project.statuses.order_by("position", "id")]
    assert found["members"] == found["sprints"] == found["labels"] == found["parents"] == found["custom_fields"] == []

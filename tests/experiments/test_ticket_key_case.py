"""Every endpoint under /api/v1/tickets/{key}/ resolves the ticket the same way as the
ticket itself (issue 8, finding 11: `cv-1/runs/` answered 200 where `cv-1` was a 404)."""

import pytest

from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    link,
)
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = ["", "runs/", "gates/", "comments/", "relations/"]


@pytest.fixture
def ticket():
    project = ProjectFactory(key="CV")
    ticket = ExperimentTicketFactory(project=project)
    link(RunFactory(experiment=ExperimentFactory(source=MlflowSourceFactory(project=project))), ticket)
    return ticket


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_member_gets_the_same_answer_from_the_ticket_and_its_sub_resources(api, ticket, endpoint):
    member = MembershipFactory(project=ticket.project, role="viewer").user
    client = api.as_user(member)
    assert client.get(f"/api/v1/tickets/{ticket.key}/{endpoint}").status_code == 200
    for variant in ("cv-1", "Cv-1", "cV-1"):
        assert client.get(f"/api/v1/tickets/{variant}/").status_code == 404
        assert client.get(f"/api/v1/tickets/{variant}/{endpoint}").status_code == 404, variant


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_non_member_gets_404_for_every_case_variant(api, ticket, endpoint):
    outsider = MembershipFactory(role="admin").user  # an admin elsewhere
    client = api.as_user(outsider)
    for variant in ("CV-1", "cv-1", "Cv-1", "cV-1"):
        assert client.get(f"/api/v1/tickets/{variant}/{endpoint}").status_code == 404, variant


def test_writes_through_a_case_variant_are_404(api, ticket):
    member = MembershipFactory(project=ticket.project, role="member").user
    client = api.as_user(member)
    assert (
        client.post(
            "/api/v1/tickets/cv-1/gates/", {"metric": "val_f1", "op": ">=", "threshold": 0.9}, format="json"
        ).status_code
        == 404
    )
    assert client.post("/api/v1/tickets/cv-1/move/", {"status": "done"}, format="json").status_code == 404
    assert not ticket.metric_gates.exists()

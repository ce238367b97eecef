import pytest

from projects import services
from projects.models import Role
from tests.factories import MembershipFactory, ProjectFactory
from tests.projects.planning_factories import CustomFieldFactory, SprintFactory, make_ticket

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
    epic = make_ticket(cv, "Epic: recall", reporter=pm, type="story")
    ticket = make_ticket(cv, "Label images", reporter=pm, parent=epic, sprint=sprint, estimate=3,
                         description="Depends on CV-1", custom_fields={"dataset": "coco"})
    services.comment_create(ticket=ticket, author=pm, body="Looks good @pm")
    for url in [f"/projects/CV/tickets/{ticket.key}/", "/projects/CV/backlog/", "/projects/CV/sprints/",
                f"/projects/CV/sprints/{sprint.pk}/", "/projects/CV/tickets/new/", "/projects/CV/settings/workflow/",
                "/projects/CV/settings/fields/", "/projects/notifications/",
                f"/projects/CV/tickets/{ticket.key}/fields/status/", f"/projects/CV/tickets/{ticket.key}/fields/title/"]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/projects/CV/tickets/{ticket.key}/").content.decode()
    assert "Label images" in page and 'href="/projects/CV/tickets/CV-1/"' in page and "coco" in page

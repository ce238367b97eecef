import pytest

from projects import services
from projects.models import TicketEvent
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_ticket_keys_count_up_per_project_and_land_at_the_end():
    project, other = ProjectFactory(key="CV"), ProjectFactory(key="NLP")
    reporter = UserFactory()
    first = services.ticket_create(project=project, reporter=reporter, title="Label images")
    second = services.ticket_create(project=project, reporter=reporter, title="Train baseline")
    elsewhere = services.ticket_create(project=other, reporter=reporter, title="Tokenizer")
    assert (first.key, second.key, elsewhere.key) == ("CV-1", "CV-2", "NLP-1")
    assert second.rank > first.rank
    assert first.status.slug == "todo"
    assert TicketEvent.objects.filter(ticket=first, kind="created", actor=reporter).exists()

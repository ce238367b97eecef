import io

import pytest
from django.core.management import call_command

from docs_hub.models import Doc, DocLink, DocTicketLink
from projects.models import Project

pytestmark = pytest.mark.django_db


def _seed():
    call_command("seed_demo", stdout=io.StringIO())


def test_demo_docs_link_each_other_and_seeding_twice_changes_nothing():
    _seed()
    cv = Project.objects.get(key="CV")
    titles = set(Doc.objects.filter(project=cv).values_list("title", flat=True))
    assert {"Project charter", "Data requirements and audit", "Model card: scratch detector"} <= titles
    charter = Doc.objects.get(project=cv, title="Project charter")
    assert DocLink.objects.filter(source=charter, target__isnull=False).count() == 2
    assert "Model card" in charter.body_html and "missing" not in charter.body_html
    model_card = Doc.objects.get(project=cv, title="Model card: scratch detector")
    assert {m["kind"] for m in model_card.macros} == {"ticket", "run"}
    before = Doc.objects.count(), DocLink.objects.count()
    _seed()
    assert (Doc.objects.count(), DocLink.objects.count()) == before


def test_demo_docs_link_the_demo_tickets():
    # The planning seeder (order 10) creates CV-1 and CV-2 before the docs seeder runs.
    _seed()
    cv = Project.objects.get(key="CV")
    charter = Doc.objects.get(project=cv, title="Project charter")
    assert {"CV-1", "CV-2"} <= set(DocTicketLink.objects.filter(doc=charter).values_list("ticket_key", flat=True))
    assert "/projects/CV/tickets/CV-1/" in charter.body_html

import pytest
from django.core.management import call_command

from docs_hub.models import Doc, DocLink, DocTicketLink
from projects.models import Project

pytestmark = pytest.mark.django_db


def _seed():
    call_command("seed_demo", stdout=open("/dev/null", "w"))


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


def test_demo_docs_link_tickets_when_they_exist():
    from django.contrib.auth import get_user_model

    from projects import services as project_services

    demo = get_user_model().objects.create(username="demo")
    cv = project_services.project_create(creator=demo, key="CV", name="Defect detection")
    for title in ("Label pipeline", "Baseline model"):
        project_services.ticket_create(project=cv, reporter=demo, title=title)
    _seed()
    charter = Doc.objects.get(project=cv, title="Project charter")
    assert set(DocTicketLink.objects.filter(doc=charter).values_list("ticket_key", flat=True)) == {"CV-1", "CV-2"}
    assert "/projects/CV/tickets/CV-1/" in charter.body_html

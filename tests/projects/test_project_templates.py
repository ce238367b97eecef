"""Project templates (issue 13, item 8): the built-in "ML model project" by the New project
form and by the API gives the workflow with Evaluating, one epic per lifecycle phase with
starter tickets, four docs linked from those tickets, a primary target and exit criteria, in
one request; a bad template id is a field error; "Save as template" keeps the structure and
copies no data; who may use a saved template."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from docs_hub.models import Doc, DocRevision, DocTicketLink
from experiments.models import Run, Target
from projects import services
from projects.lifecycle import DEFAULT_EXIT_CRITERIA
from projects.models import (
    Comment,
    ExitCriterion,
    Phase,
    Project,
    ProjectTemplate,
    Role,
    Sprint,
    Ticket,
    TicketEvent,
    TicketType,
)
from projects.templates_builtin import ML_MODEL_EPICS
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import MembershipFactory

pytestmark = pytest.mark.django_db

DOC_TITLES = {"Project charter", "Data requirements and audit", "Model card", "Deployment specification"}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_ml_model_project(project: Project) -> None:
    statuses = list(project.statuses.order_by("position").values_list("slug", "name", "is_finished"))
    slugs = [slug for slug, _, _ in statuses]
    assert ("evaluating", "Evaluating", False) in statuses
    assert slugs.index("in_review") < slugs.index("evaluating") < slugs.index("done")
    assert statuses[-1] == ("done", "Done", True)
    assert {"data", "model", "infra", "bug"} <= set(project.labels.values_list("name", flat=True))

    epics = list(Ticket.objects.filter(project=project, type=TicketType.EPIC).order_by("number"))
    assert [e.title.split(":")[0].lower() for e in epics] == [str(p) for p in Phase.values]
    for epic, spec in zip(epics, ML_MODEL_EPICS, strict=True):
        children = list(epic.children.order_by("number").values_list("title", flat=True))
        assert children == [t["title"] for t in spec["tickets"]] and children

    docs = {doc.title: doc for doc in Doc.objects.filter(project=project)}
    assert set(docs) == DOC_TITLES
    assert all(len(doc.body) > 300 and "## " in doc.body for doc in docs.values())  # real starter content
    charter_keys = set(DocTicketLink.objects.filter(doc=docs["Project charter"]).values_list("ticket_key", flat=True))
    charter_ticket = Ticket.objects.get(project=project, title="Write the project charter")
    assert charter_ticket.key in charter_keys
    for doc in docs.values():  # every doc is linked to (mentions) at least one starter ticket
        assert DocTicketLink.objects.filter(doc=doc).exists()
    # ...so the ticket's backlinks (the panel "Docs that mention this ticket") show the doc.
    from projects import hooks

    assert [b["title"] for b in hooks.backlinks_for([charter_ticket.pk])[charter_ticket.pk]] == ["Project charter"]

    target = Target.objects.get(project=project, primary=True)
    assert (target.metric, target.direction, target.target) == ("val_f1", "higher", 0.9)
    criteria = {}
    for phase, text in ExitCriterion.objects.filter(project=project).order_by("position").values_list("phase", "text"):
        criteria.setdefault(phase, []).append(text)
    assert criteria == {str(phase): texts for phase, texts in DEFAULT_EXIT_CRITERIA.items()}
    assert not ExitCriterion.objects.filter(project=project, done=True).exists()


def test_new_project_form_offers_the_templates_and_creates_from_ml_model_in_one_request(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("projects:create"))
    assert b'value="ml-model"' in page.content and b"ML model project" in page.content

    response = client.post(
        reverse("projects:create"),
        {"template": "ml-model", "key": "FR", "name": "Fraud", "phase": "define", "board_mode": "scrum"},
    )
    assert response.status_code == 302, response.content
    project = Project.objects.get(key="FR")
    assert project.memberships.get().user == user
    assert_ml_model_project(project)


def test_api_creates_from_ml_model_and_lists_templates():
    user = UserFactory()
    listed = api(user).get("/api/v1/project-templates/")
    assert listed.status_code == 200
    assert listed.json()[0] == {
        "id": "ml-model",
        "name": "ML model project",
        "description": listed.json()[0]["description"],
        "builtin": True,
    }
    response = api(user).post(
        "/api/v1/projects/", {"key": "ML", "name": "Model", "template": "ml-model"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert_ml_model_project(Project.objects.get(key="ML"))


def test_a_bad_template_id_is_a_field_error_and_creates_nothing(client):
    user = UserFactory()
    response = api(user).post("/api/v1/projects/", {"key": "ML", "name": "M", "template": "no-such"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["template"]
    client.force_login(user)
    page = client.post(reverse("projects:create"), {"template": "no-such", "key": "ML", "name": "M", "phase": "define"})
    assert page.status_code == 200 and b"template-choice field has-error" in page.content
    assert not Project.objects.filter(key="ML").exists()


def test_a_template_that_cannot_be_applied_leaves_no_project():
    user = UserFactory()
    template = ProjectTemplate.objects.create(
        name="Broken", created_by=user, data={"epics": [{"title": "", "tickets": []}]}
    )
    response = api(user).post(
        "/api/v1/projects/", {"key": "BR", "name": "B", "template": str(template.pk)}, format="json"
    )
    assert response.status_code == 400 and "template" in response.json()
    assert not Project.objects.filter(key="BR").exists()


def _grow_data(project, user):
    """What a team leaves behind: comments, runs, a sprint with moved tickets, ticked criteria,
    field values, a doc edited twice, a new status and label."""
    services.status_add(project=project, name="Blocked")
    ticket = Ticket.objects.filter(project=project).exclude(type=TicketType.EPIC).first()
    services.comment_create(ticket=ticket, author=user, body="Data is in.")
    services.ticket_update(ticket=ticket, user=user, status="done", custom_fields={"dataset_version": "v7"})
    sprint = services.sprint_create(
        project=project,
        name="S1",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 1, 14),
        capacity=10,
    )
    services.sprint_add_tickets(sprint=sprint, tickets=[ticket], user=user, project=project)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    RunFactory(experiment=experiment, metrics={"val_f1": 0.93})
    criterion = ExitCriterion.objects.filter(project=project).first()
    ExitCriterion.objects.filter(pk=criterion.pk).update(done=True, done_by=user)
    doc = Doc.objects.get(project=project, title="Model card")
    from docs_hub import services as doc_services

    doc_services.doc_update(doc=doc, author=user, body=doc.body + "\n\nv1 scored 0.93.")


def test_save_as_template_then_create_from_it_reproduces_the_structure_and_copies_no_data(client):
    admin = UserFactory()
    source = services.project_create(creator=admin, key="SRC", name="Source", template="ml-model")
    _grow_data(source, admin)
    client.force_login(admin)
    response = client.post(
        reverse("projects:save_as_template", args=["SRC"]), {"name": "Our ML setup", "description": "Ours"}
    )
    assert response.status_code == 302
    template = ProjectTemplate.objects.get(name="Our ML setup")
    assert template.source_project == source and template.created_by == admin and not template.shared

    created = api(admin).post(
        "/api/v1/projects/", {"key": "NEW", "name": "New", "template": str(template.pk)}, format="json"
    )
    assert created.status_code == 201, created.content
    new = Project.objects.get(key="NEW")

    def structure(project):
        return {
            "statuses": list(
                project.statuses.order_by("position").values_list("slug", "name", "is_finished", "wip_limit")
            ),
            "labels": sorted(project.labels.values_list("name", "color")),
            "fields": list(project.custom_fields.values_list("key", "name", "field_type")),
            "epics": [
                (e.title, list(e.children.order_by("number").values_list("title", "type")))
                for e in Ticket.objects.filter(project=project, type=TicketType.EPIC).order_by("number")
            ],
            "docs": sorted(Doc.objects.filter(project=project).values_list("title", flat=True)),
            "targets": list(
                Target.objects.filter(project=project).values_list("metric", "direction", "target", "primary")
            ),
            "criteria": list(
                ExitCriterion.objects.filter(project=project).order_by("phase", "position").values_list("phase", "text")
            ),
        }

    assert structure(new) == structure(source)
    assert "blocked" in [s[0] for s in structure(new)["statuses"]]
    # The edited doc's text came along; its generated "Tracked by" list names the new keys.
    card = Doc.objects.get(project=new, title="Model card")
    assert "v1 scored 0.93." in card.body
    assert "SRC-" not in card.body and "{{ticket:NEW-" in card.body
    assert DocTicketLink.objects.filter(doc=card, ticket_key__startswith="NEW-").exists()
    # No data: no comments, runs, sprints, history beyond creation, field values, ticks, revisions.
    assert not Comment.objects.filter(ticket__project=new).exists()
    assert not Run.objects.filter(project=new).exists()
    assert not Sprint.objects.filter(project=new).exists()
    assert set(TicketEvent.objects.filter(ticket__project=new).values_list("kind", flat=True)) == {"created"}
    assert not Ticket.objects.filter(project=new).exclude(custom_fields={}).exists()
    assert not Ticket.objects.filter(project=new, status__is_finished=True).exists()
    assert not ExitCriterion.objects.filter(project=new, done=True).exists()
    assert set(DocRevision.objects.filter(doc__project=new).values_list("version", flat=True)) == {1}
    assert "Data is in." not in str(template.data) and "0.93" not in str(template.data["targets"])


def test_who_may_save_and_who_may_use_a_saved_template(client):
    admin, member, outsider, staff = UserFactory(), UserFactory(), UserFactory(), UserFactory(is_staff=True)
    project = services.project_create(creator=admin, key="SRC", name="Source")
    MembershipFactory(project=project, user=member, role=Role.MEMBER)

    client.force_login(member)  # only admins save a template
    assert client.post(reverse("projects:save_as_template", args=["SRC"]), {"name": "X"}).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse("projects:save_as_template", args=["SRC"]), {"name": "X"}).status_code == 404

    mine = services.project_template_save(project=project, user=admin, name="Team template")
    with pytest.raises(Exception, match="staff"):
        services.project_template_save(project=project, user=admin, name="For all", shared=True)
    MembershipFactory(project=project, user=staff, role=Role.ADMIN)
    shared = services.project_template_save(project=project, user=staff, name="For all", shared=True)

    def ids(user):
        return [t["id"] for t in api(user).get("/api/v1/project-templates/").json()]

    assert ids(admin) == ["ml-model", str(shared.pk), str(mine.pk)]
    assert ids(member) == ["ml-model", str(shared.pk), str(mine.pk)]  # a member of the source project
    assert ids(outsider) == ["ml-model", str(shared.pk)]
    refused = api(outsider).post(
        "/api/v1/projects/", {"key": "OUT", "name": "O", "template": str(mine.pk)}, format="json"
    )
    assert refused.status_code == 400 and "template" in refused.json()


def test_settings_page_offers_save_as_template_to_admins(client):
    admin = UserFactory()
    services.project_create(creator=admin, key="SRC", name="Source")
    client.force_login(admin)
    page = client.get(reverse("projects:settings", args=["SRC"]))
    assert b"Save as template" in page.content
    assert reverse("projects:save_as_template", args=["SRC"]).encode() in page.content
    client.post(reverse("projects:save_as_template", args=["SRC"]), {"name": ""})
    assert not ProjectTemplate.objects.exists()

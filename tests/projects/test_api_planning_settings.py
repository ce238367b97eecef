import pytest

from projects.models import Role, TicketRelation
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cv():
    return ProjectFactory(key="CV")


def test_custom_fields_admins_define_members_read(api, cv):
    admin = MembershipFactory(project=cv, role=Role.ADMIN).user
    member = MembershipFactory(project=cv, role=Role.MEMBER).user
    payload = {"name": "Dataset", "field_type": "select", "options": ["coco", "line3"]}
    assert api.as_user(member).post("/api/v1/projects/CV/custom-fields/", payload, format="json").status_code == 403
    created = api.as_user(admin).post("/api/v1/projects/CV/custom-fields/", payload, format="json")
    assert created.status_code == 201 and created.json()["key"] == "dataset"
    assert (
        api.as_user(admin)
        .post("/api/v1/projects/CV/custom-fields/", {"name": "Empty", "field_type": "select"}, format="json")
        .status_code
        == 400
    )
    assert [f["key"] for f in api.as_user(member).get("/api/v1/projects/CV/custom-fields/").json()] == ["dataset"]
    TicketFactory(project=cv, title="Uses coco", custom_fields={"dataset": "coco"})
    refused = api.as_user(admin).patch(
        "/api/v1/projects/CV/custom-fields/dataset/", {"options": ["line3"]}, format="json"
    )
    assert refused.status_code == 400 and "coco" in refused.json()["options"][0]
    assert api.as_user(admin).delete("/api/v1/projects/CV/custom-fields/dataset/").status_code == 204
    assert cv.tickets.get().custom_fields == {}
    assert api.as_user(UserFactory()).get("/api/v1/projects/CV/custom-fields/").status_code == 404


def test_workflow_statuses_add_rename_reorder_finish_and_wip(api, cv):
    admin = MembershipFactory(project=cv, role=Role.ADMIN).user
    client = api.as_user(admin)
    assert (
        client.post("/api/v1/projects/CV/statuses/", {"name": "QA", "wip_limit": 2}, format="json").status_code == 201
    )
    moved = client.patch("/api/v1/projects/CV/statuses/qa/", {"position": 1, "name": "Quality"}, format="json").json()
    assert moved["name"] == "Quality" and moved["wip_limit"] == 2
    slugs = [s["slug"] for s in client.get("/api/v1/projects/CV/statuses/").json()]
    assert slugs == ["todo", "qa", "in_progress", "in_review", "done"]
    refused = client.patch("/api/v1/projects/CV/statuses/done/", {"is_finished": False}, format="json")
    assert refused.status_code == 400 and "is_finished" in refused.json()
    member = MembershipFactory(project=cv, role=Role.MEMBER).user
    assert (
        api.as_user(member).patch("/api/v1/projects/CV/statuses/qa/", {"name": "x"}, format="json").status_code == 403
    )


def test_saved_views_private_and_shared(api, cv):
    owner = MembershipFactory(project=cv, role=Role.MEMBER).user
    viewer = MembershipFactory(project=cv, role=Role.VIEWER).user
    client = api.as_user(owner)
    private = client.post(
        "/api/v1/projects/CV/views/", {"name": "Mine", "filters": {"assignee": "me"}}, format="json"
    ).json()
    shared = client.post(
        "/api/v1/projects/CV/views/",
        {"name": "Open bugs", "shared": True, "filters": {"type": "bug", "junk": "x"}},
        format="json",
    ).json()
    assert shared["filters"] == {"type": "bug"}
    assert (
        client.post("/api/v1/projects/CV/views/", {"name": "Odd", "filters": ["type"]}, format="json").status_code
        == 400
    )
    seen = [v["name"] for v in api.as_user(viewer).get("/api/v1/projects/CV/views/").json()["results"]]
    assert seen == ["Open bugs"]
    assert (
        api.as_user(viewer)
        .post("/api/v1/projects/CV/views/", {"name": "Mine too", "filters": {}}, format="json")
        .status_code
        == 201
    )
    assert (
        api.as_user(viewer)
        .post("/api/v1/projects/CV/views/", {"name": "Share", "shared": True, "filters": {}}, format="json")
        .status_code
        == 400
    )
    assert api.as_user(viewer).delete(f"/api/v1/projects/CV/views/{private['id']}/").status_code == 404
    assert api.as_user(viewer).delete(f"/api/v1/projects/CV/views/{shared['id']}/").status_code == 400
    assert api.as_user(owner).delete(f"/api/v1/projects/CV/views/{shared['id']}/").status_code == 204


def test_relations_blocks_and_is_blocked_by(api, cv):
    member = MembershipFactory(project=cv, role=Role.MEMBER).user
    a, b = TicketFactory(project=cv, title="Export ONNX"), TicketFactory(project=cv, title="Quantise")
    client = api.as_user(member)
    created = client.post(
        f"/api/v1/tickets/{b.key}/relations/", {"kind": "is_blocked_by", "ticket": a.key}, format="json"
    )
    assert created.status_code == 201
    assert created.json() == [
        {"id": created.json()[0]["id"], "kind": "is_blocked_by", "ticket": a.key, "title": "Export ONNX"}
    ]
    assert client.get(f"/api/v1/tickets/{a.key}/relations/").json()[0]["kind"] == "blocks"
    assert (
        client.post(
            f"/api/v1/tickets/{a.key}/relations/", {"kind": "is_blocked_by", "ticket": b.key}, format="json"
        ).status_code
        == 400
    )  # a cycle of two
    assert (
        client.post(
            f"/api/v1/tickets/{a.key}/relations/", {"kind": "blocks", "ticket": a.key}, format="json"
        ).status_code
        == 400
    )
    relation_id = created.json()[0]["id"]
    assert client.delete(f"/api/v1/tickets/{a.key}/relations/{relation_id}/").status_code == 204
    assert not TicketRelation.objects.exists()

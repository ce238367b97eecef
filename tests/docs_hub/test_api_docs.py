import pytest

from docs_hub import services
from tests.accounts.factories import UserFactory
from tests.docs_hub.factories import make_doc
from tests.projects.factories import TicketFactory

pytestmark = pytest.mark.django_db


def url(project, rest=""):
    return f"/api/v1/projects/{project.key}/docs/{rest}"


def test_create_read_update_with_links_and_html(api, project, member_of):
    client = api.as_user(member_of(project, "member"))
    ticket = TicketFactory(project=project, title="Baseline")
    response = client.post(
        url(project), {"title": "Model card", "body": f"Built in {ticket.key}. <script>x</script>"}, format="json"
    )
    assert response.status_code == 201, response.json()
    doc = response.json()
    assert doc["slug"] == "model-card" and doc["version"] == 1 and doc["parent"] is None
    assert f"/tickets/{ticket.key}/" in doc["html"] and "<script" not in doc["html"]
    child = client.post(
        url(project), {"title": "Eval", "body": "[[Model card]]", "parent": "model-card"}, format="json"
    ).json()
    assert child["parent"] == "model-card" and "/docs/model-card/" in child["html"]
    response = client.patch(url(project, "model-card/"), {"body": "v2", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    listing = client.get(url(project)).json()
    assert set(listing) >= {"results", "next"} and {d["slug"] for d in listing["results"]} == {"model-card", "eval"}
    revisions = client.get(url(project, "model-card/revisions/")).json()["results"]
    assert [r["version"] for r in revisions] == [2, 1] and revisions[0]["author"] and revisions[0]["created_at"]


def test_stale_patch_is_409_with_the_current_doc_and_changes_nothing(api, project, member_of):
    client = api.as_user(member_of(project, "member"))
    make_doc(project, title="Spec", body="one")
    assert client.patch(url(project, "spec/"), {"body": "two", "version": 1}, format="json").status_code == 200
    response = client.patch(url(project, "spec/"), {"body": "stale write", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["body"] == "two" and response.json()["version"] == 2
    assert client.get(url(project, "spec/")).json()["body"] == "two"
    # Without version the PATCH applies as usual.
    assert client.patch(url(project, "spec/"), {"body": "three"}, format="json").json()["version"] == 3


def test_template_and_bad_input_give_field_errors(api, project, member_of):
    client = api.as_user(member_of(project, "member"))
    response = client.post(url(project), {"title": "Charter", "template": "project-charter"}, format="json")
    assert response.status_code == 201 and "SMART objectives" in response.json()["body"]
    assert client.post(url(project), {"title": "  "}, format="json").status_code == 400
    bad = client.post(url(project), {"title": "X", "template": "nope"}, format="json")
    assert bad.status_code == 400 and "template" in bad.json()
    bad = client.post(url(project), {"title": "X", "parent": "missing"}, format="json")
    assert bad.status_code == 400 and "parent" in bad.json()
    bad = client.patch(url(project, "charter/"), {"version": "abc"}, format="json")
    assert bad.status_code == 400 and "version" in bad.json()


def test_delete_moves_to_trash(api, project, member_of):
    client = api.as_user(member_of(project, "member"))
    make_doc(project, title="Temp")
    assert client.delete(url(project, "temp/")).status_code == 204
    assert client.get(url(project, "temp/")).status_code == 404
    assert project.docs.get(slug="temp").deleted_at is not None


@pytest.mark.parametrize(
    "role, read, write", [(None, 404, 404), ("viewer", 200, 403), ("member", 200, 201), ("admin", 200, 201)]
)
def test_role_matrix(api, project, member_of, role, read, write):
    make_doc(project, title="Existing")
    user = member_of(project, role) if role else UserFactory()
    client = api.as_user(user)
    assert client.get(url(project)).status_code == read
    assert client.get(url(project, "existing/")).status_code == read
    assert client.get(url(project, "existing/revisions/")).status_code == read
    assert client.post(url(project), {"title": f"New by {role}"}, format="json").status_code == write
    expected_patch = 200 if write == 201 else write
    assert client.patch(url(project, "existing/"), {"body": "edit"}, format="json").status_code == expected_patch
    assert client.delete(url(project, "existing/")).status_code == (204 if write == 201 else write)


def test_unauthenticated_is_401(api, project):
    assert api.get(url(project)).status_code == 401


@pytest.mark.parametrize("size", [4, 40])
def test_list_costs_constant_queries(api, project, member_of, size, django_assert_max_num_queries):
    client = api.as_user(member_of(project, "member"))
    ticket = TicketFactory(project=project)
    parent = None
    for n in range(size):
        parent = make_doc(project, title=f"Doc {n}", body=f"{{{{ticket:{ticket.key}}}}} [[Doc 0]]", parent=parent)
    with django_assert_max_num_queries(9):
        response = client.get(url(project) + "?page_size=100")
    assert len(response.json()["results"]) == size
    assert all("[To do]" in d["html"] for d in response.json()["results"])


def test_revision_detail_and_restore(api, project, member_of):
    client = api.as_user(member_of(project, "member"))
    doc = make_doc(project, title="Notes", body="first")
    services.doc_update(doc=doc, author=None, body="second")
    assert client.get(url(project, "notes/revisions/1/")).json()["body"] == "first"
    restored = client.post(url(project, "notes/revisions/1/restore/")).json()
    assert restored["body"] == "first" and restored["version"] == 3


@pytest.mark.parametrize("role, restore", [("viewer", 403), ("member", 403), ("admin", 200)])
def test_trash_listed_to_members_and_restored_by_admins(api, project, member_of, role, restore):
    doc = make_doc(project, title="Gone")
    services.doc_trash(doc=doc, user=None)
    client = api.as_user(member_of(project, role))
    listing = client.get(f"/api/v1/projects/{project.key}/docs-trash/").json()["results"]
    assert [d["slug"] for d in listing] == ["gone"]
    response = client.post(f"/api/v1/projects/{project.key}/docs-trash/{doc.pk}/restore/")
    assert response.status_code == restore
    assert (client.get(url(project, "gone/")).status_code == 200) == (restore == 200)


def test_templates_listed(api, project, member_of):
    client = api.as_user(member_of(project, "viewer"))
    slugs = [t["slug"] for t in client.get(f"/api/v1/projects/{project.key}/doc-templates/").json()["results"]]
    assert "model-card" in slugs and "post-incident-review" in slugs
    assert api.as_user(UserFactory()).get(f"/api/v1/projects/{project.key}/doc-templates/").status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_search_api_costs_constant_queries(api, project, member_of, size, django_assert_max_num_queries):
    client = api.as_user(member_of(project, "member"))
    for n in range(size):
        TicketFactory(project=project, title=f"Drift alert {n}", description="drift")
        make_doc(project, title=f"Drift runbook {n}", body="drift")
    # Auth, one query per provider (tickets, docs, runs), one snippet query per kind among the
    # results (tickets, docs): constant.
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/search/?q=drift")
    assert len(response.json()["results"]) == min(50, 2 * size)

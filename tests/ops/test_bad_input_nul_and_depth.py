"""Inputs that answered 500 (issue 8, finding 10): a NUL byte in any filter of the board,
backlog, search and compare (pages and API), and JSON nested 100,000 deep. Each is a 400:
field errors in the API, a page with the message for the HTML views."""

import pytest

from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FILTERS = ["status", "assignee", "label", "type", "priority", "q", "parent", "cf_team", "sprint", "run", "project"]
PAGES = {
    "board": "/projects/{key}/board/",
    "backlog": "/projects/{key}/backlog/",
    "search": "/search/",
    "compare": "/projects/{key}/experiments/compare/",
    "runs": "/projects/{key}/experiments/e/{experiment}/",
}
APIS = {
    "board": "/api/v1/projects/{key}/board/",
    "backlog": "/api/v1/projects/{key}/tickets/",
    "search": "/api/v1/search/",
    "runs": "/api/v1/projects/{key}/runs/",
}
MESSAGE = "Null characters are not allowed."


@pytest.fixture
def member():
    project = ProjectFactory(key="NUL")
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    runs = [RunFactory(experiment=experiment) for _ in range(2)]
    membership = MembershipFactory(project=project, role="member")
    return membership.user, project, experiment, runs


def _url(template, project, experiment):
    return template.format(key=project.key, experiment=experiment.pk)


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("name", FILTERS)
def test_nul_in_a_page_filter_is_a_400_page_with_the_message(client, member, page, name):
    user, project, experiment, runs = member
    client.force_login(user)
    query = {"run": [r.run_id for r in runs], "q": "model"} if page in ("compare", "search") else {}
    response = client.get(_url(PAGES[page], project, experiment), {**query, name: "a\x00b"})
    assert response.status_code == 400
    body = response.content.decode()
    assert MESSAGE in body and name in body and "<html" in body


@pytest.mark.parametrize("api_name", sorted(APIS))
@pytest.mark.parametrize("name", FILTERS)
def test_nul_in_an_api_filter_is_a_400_field_error(api, member, api_name, name):
    user, project, experiment, _ = member
    response = api.as_user(user).get(_url(APIS[api_name], project, experiment), {"q": "model", name: "%00" + "\x00"})
    assert response.status_code == 400
    assert response.json() == {name: [MESSAGE]}


def test_nul_in_a_filter_name_or_the_path_is_a_400(client, api, member):
    user, project, _experiment, _ = member
    client.force_login(user)
    assert client.get(f"/projects/{project.key}/backlog/?cf_a%00b=1").status_code == 400
    assert client.get("/projects/NUL%00/board/").status_code == 400
    assert api.as_user(user).get("/api/v1/tickets/NUL-1%00/").status_code == 400


def test_nul_in_a_posted_form_is_a_400(client, member):
    user, project, _, _ = member
    client.force_login(user)
    response = client.post(f"/projects/{project.key}/views/", {"name": "Mine", "status": "todo\x00"})
    assert response.status_code == 400 and MESSAGE in response.content.decode()


def test_clean_filters_still_answer(client, api, member):
    user, project, experiment, _runs = member
    client.force_login(user)
    for page in ("board", "backlog", "runs"):
        assert client.get(_url(PAGES[page], project, experiment), {"q": "a b", "status": "todo"}).status_code == 200
    assert client.get("/search/", {"q": "model"}).status_code == 200
    for name in APIS:
        assert api.as_user(user).get(_url(APIS[name], project, experiment), {"q": "model"}).status_code == 200


@pytest.mark.parametrize("depth", [100_000, 1_000, 65])
def test_json_nested_too_deep_is_a_400(api, member, depth):
    user, project, _, _ = member
    body = '{"title": "deep", "custom_fields": ' + "[" * depth + "]" * depth + "}"
    response = api.as_user(user).generic(
        "POST", f"/api/v1/projects/{project.key}/tickets/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["detail"]
    assert not project.tickets.exists()


def test_json_within_the_depth_limit_is_parsed(api, member):
    user, project, _, _ = member
    body = '{"name": "Mine", "filters": {"status": ["todo"]}, "extra": ' + "[" * 60 + "]" * 60 + "}"
    response = api.as_user(user).generic(
        "POST", f"/api/v1/projects/{project.key}/views/", body, content_type="application/json"
    )
    assert response.status_code == 201

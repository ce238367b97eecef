"""The runs filter language (`q=`): what it accepts, and a 400 with a clear message for
anything else. ORM lookups in the key (`lr__gt=0.015`, `a__regex=(`) never reach the ORM
(issue 8, finding 10)."""

import pytest
from django.urls import reverse

from tests.experiments.factories import ExperimentFactory, ExperimentTicketFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    project = ProjectFactory(key="RF")
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")
    RunFactory(
        experiment=experiment,
        name="small-lr",
        metrics={"val_f1": 0.95, "loss": 0.1},
        params={"lr": "0.01", "model.depth": "3", "clf__C": "1"},
        tags={"team": "vision"},
    )
    RunFactory(
        experiment=experiment,
        name="big-lr",
        metrics={"val_f1": 0.80, "loss": 0.4},
        params={"lr": "0.1", "model.depth": "5", "clf__C": "10"},
        tags={"team": "nlp"},
    )
    RunFactory(experiment=experiment, name="no-metric", metrics={}, params={"lr": "0.5"}, tags={})
    project.experiment = experiment
    return project


def names(api, user, project, q):
    response = api.as_user(user).get(f"/api/v1/projects/{project.key}/runs/", {"q": q})
    assert response.status_code == 200, response.content
    return sorted(run["name"] for run in response.json()["results"])


@pytest.mark.parametrize(
    "q, expected",
    [
        ("metrics.val_f1 >= 0.9", ["small-lr"]),
        ("metrics.val_f1>0.5", ["big-lr", "small-lr"]),
        ("metrics.val_f1 < 0.9", ["big-lr"]),
        ("metrics.loss = 0.4", ["big-lr"]),
        ("metrics.val_f1 != 0.8", ["small-lr"]),
        ("val_f1 >= 0.9", ["small-lr"]),  # short form: a metric
        ("params.lr = 0.01", ["small-lr"]),
        ("params.lr != 0.01", ["big-lr", "no-metric"]),
        ("lr=0.1", ["big-lr"]),  # short form: a param
        ("params.model.depth = 5", ["big-lr"]),  # keys may contain dots
        ("params.clf__C = 10", ["big-lr"]),  # a key containing __ is data, not a lookup
        ('tags.team = "vision"', ["small-lr"]),
        ("tags.team != vision", ["big-lr"]),
        ("small", ["small-lr"]),  # plain text: the name
        ("detector", ["big-lr", "no-metric", "small-lr"]),  # plain text: the experiment
        ("model.depth", ["big-lr", "small-lr"]),  # plain text: a key
    ],
)
def test_accepted_forms_filter_runs(api, project, member_of, q, expected):
    assert names(api, member_of(project, "viewer"), project, q) == expected


@pytest.mark.parametrize(
    "q, says",
    [
        ("a__regex=(", "“__” is not an operator"),
        ("lr__isnull=maybe", "“__” is not an operator"),
        ("lr__gt=0.015", "write params.lr = VALUE or metrics.lr > NUMBER"),
        ("metrics.val_f1 >= high", "needs a finite number"),
        ("val_f1 >= 1.2.3", "needs a finite number"),
        ("metrics.val_f1 >= nan", "needs a finite number"),
        ("params.lr > 0.01", "params.lr is text: compare it with = or !="),
        ("tags.team < b", "tags.team is text"),
        ("params.lr =", "Give a value"),
    ],
)
def test_refused_forms_are_a_400_on_q(api, project, member_of, q, says):
    response = api.as_user(member_of(project, "viewer")).get(f"/api/v1/projects/{project.key}/runs/", {"q": q})
    assert response.status_code == 400
    message = response.json()["q"][0]
    assert says in message and "metrics.KEY >= NUMBER" in message


def test_runs_page_shows_the_refusal(client, project, member_of):
    client.force_login(member_of(project, "viewer"))
    url = reverse("experiments:experiment", args=[project.key, project.experiment.pk])
    page = client.get(url, {"q": "lr__gt=0.015"})
    assert page.status_code == 400
    body = page.content.decode()
    assert "is not an operator" in body and "0 runs" in body and "small-lr" not in body
    partial = client.get(url, {"q": "a__regex=("}, HTTP_HX_REQUEST="true")
    assert "is not an operator" in partial.content.decode() and "<html" not in partial.content.decode()
    assert "small-lr" in client.get(url, {"q": "metrics.val_f1 >= 0.9"}).content.decode()


def test_ticket_run_search_shows_the_refusal(client, project, member_of):
    ticket = ExperimentTicketFactory(project=project)
    client.force_login(member_of(project, "member"))
    url = reverse("experiments:ticket_run_search", args=[project.key, ticket.key])
    refused = client.get(url, {"q": "lr__isnull=maybe"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and "is not an operator" in refused.content.decode()
    found = client.get(url, {"q": "params.lr = 0.1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "big-lr" in found and "small-lr" not in found

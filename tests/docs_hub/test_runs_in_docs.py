"""Docs and the experiments app together: the run macro shows a run's metric now and
keeps the value a revision was saved with; search finds runs only in the caller's projects."""

import pytest

from docs_hub import selectors, services
from docs_hub.models import DocRevision
from experiments.models import Run
from tests.docs_hub.factories import make_doc
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _run(project, **fields):
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    return RunFactory(experiment=experiment, **fields)


def test_run_macro_shows_the_current_metric_and_each_revision_keeps_its_own():
    project = ProjectFactory()
    run = _run(project, name="effnet-b3", metrics={"val_f1": 0.8812})
    doc = make_doc(project, title="Why we shipped v7", body=f"F1 was {{{{run:{run.run_id} metric:val_f1}}}}.")
    assert "0.8812" in selectors.doc_current_html(doc=doc)
    Run.objects.filter(pk=run.pk).update(metrics={"val_f1": 0.9135})
    current = selectors.doc_current_html(doc=doc)
    assert "0.9135" in current and "0.8812" not in current
    first = DocRevision.objects.get(doc=doc, version=1)
    assert "0.8812" in selectors.revision_html(revision=first)
    services.doc_update(doc=doc, author=None, body=doc.body + "\n\nRetrained.")
    assert "0.9135" in selectors.revision_html(revision=DocRevision.objects.get(doc=doc, version=2))
    assert "0.8812" in selectors.revision_html(revision=DocRevision.objects.get(doc=doc, version=1))
    assert f"/projects/{project.key}/experiments/runs/{run.run_id}/" in current


def test_run_macro_never_reads_another_projects_run():
    project, other = ProjectFactory(), ProjectFactory()
    secret = _run(other, name="secret-run", metrics={"val_f1": 0.777})
    doc = make_doc(project, title="Probe", body=f"{{{{run:{secret.run_id} metric:val_f1}}}}")
    html = selectors.doc_current_html(doc=doc)
    assert "0.777" not in html and "run not found" in html


def test_search_finds_runs_of_my_projects_only(api):
    mine = MembershipFactory().project
    user = mine.memberships.get().user
    _run(mine, name="resnet50-augmix", metrics={"val_f1": 0.91})
    _run(ProjectFactory(), name="resnet50-hidden", metrics={"val_f1": 0.99})
    body = api.as_user(user).get("/api/v1/search/?q=resnet50").json()
    runs = [hit for hit in body["results"] if hit["type"] == "run"]
    assert [hit["title"] for hit in runs] == ["resnet50-augmix"]
    assert runs[0]["project"] == mine.key and "/experiments/runs/" in runs[0]["url"]

"""The project hub and every section it loads (board summary, dashboard, targets, experiments, docs)
cost the same queries for a small project and a big one (issue 12, target 6)."""

import datetime

import pytest
from django.urls import reverse

from projects.models import Label, Role, Sprint, SprintState
from tests.docs_hub.factories import make_doc
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory, TargetFactory, link
from tests.projects.factories import MembershipFactory, ProjectFactory, seed_board

pytestmark = pytest.mark.django_db

HUB_PAGES = [
    ("projects:hub", {}, 12),  # 7, plus the health badge (six bulk rules; issue 13, item 2); 1 for the header
    ("projects:board_summary", {}, 8),
    ("projects:dashboard", {"HTTP_HX_REQUEST": "true"}, 7),
    ("experiments:hub_section", {}, 8),
    ("experiments:targets_section", {}, 5),
    ("docs_hub:hub_section", {}, 8),
]


def _project(key: str, size: int):
    project = ProjectFactory(key=key)
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    today = datetime.date.today()
    sprint = Sprint.objects.create(
        project=project,
        name="S1",
        start_date=today - datetime.timedelta(days=3),
        end_date=today + datetime.timedelta(days=7),
        state=SprintState.ACTIVE,
    )
    tickets = seed_board(project, admin, sprint, [Label.objects.create(project=project, name="nlp")], size * 10)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    for n in range(size * 2):
        run = RunFactory(experiment=experiment)
        link(run, tickets[n])
    TargetFactory(project=project, metric="val_f1", target=0.95, primary=True)
    TargetFactory(project=project, metric="val_loss", direction="lower", target=0.1)
    for n in range(size):
        make_doc(project, title=f"Page {n}", body=f"Mentions {tickets[n].key} and [[Page {n + 1}]]")
    for _ in range(size // 3):
        MembershipFactory(project=project)
    return project, admin


def test_hub_and_its_sections_cost_the_same_queries_small_or_big(client, django_assert_max_num_queries):
    counts = {}
    for key, size in (("CV", 1), ("BIG", 30)):
        project, admin = _project(key, size)
        client.force_login(admin)
        for url_name, headers, budget in HUB_PAGES:
            url = reverse(url_name, args=[project.key])
            client.get(url, **headers)  # warm the per-process caches
            with django_assert_max_num_queries(budget, info=url) as captured:
                response = client.get(url, **headers)
            assert response.status_code == 200, url
            counts[(url_name, size)] = len(captured)
    for url_name, _headers, _budget in HUB_PAGES:
        assert counts[(url_name, 1)] == counts[(url_name, 30)], (url_name, counts)

"""The runs table keeps its whole-table count and the column chooser's keys until the
project's next change (issue 12, target 6): a sync that wrote runs announces it, and the
next view counts and samples again. Filtered tables always count."""

import re

import pytest
from django.urls import reverse

from experiments.models import RunTablePreference
from projects import live
from projects.models import Role
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory
from tests.projects.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _table(client, experiment, query: str = "") -> tuple[str, list[str]]:
    page = client.get(
        reverse("experiments:experiment", args=[experiment.source.project.key, experiment.pk]) + query
    ).content.decode()
    count = re.search(r'<p class="muted">([^<]*runs?)</p>', page).group(1)
    return count, re.findall(r'name="metrics" value="([^"]+)"', page)


def test_count_and_column_keys_follow_an_announced_sync(client, settings, django_capture_on_commit_callbacks):
    settings.AIHUB_FIGURES_CACHE_SECONDS = 30
    experiment = ExperimentFactory(source=MlflowSourceFactory())
    project = experiment.source.project
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    client.force_login(member)
    # Chosen columns: the chooser offers the sampled keys plus these, not the page's own keys.
    RunTablePreference.objects.create(user=member, project=project, metrics=["val_f1"], params=[])
    RunFactory(experiment=experiment)
    assert _table(client, experiment) == ("1 run", ["val_f1"])

    RunFactory(experiment=experiment, metrics={"val_f1": 0.8, "val_loss": 0.3}, status="FAILED")
    assert _table(client, experiment) == ("1 run", ["val_f1"])  # nobody announced it: kept
    assert _table(client, experiment, "?status=FAILED")[0] == "1 run"  # a filtered table counts

    with django_capture_on_commit_callbacks(execute=True):
        live.announce(project_id=project.pk, kind="runs.synced")  # what the sync's importer does
    assert _table(client, experiment) == ("2 runs", ["val_f1", "val_loss"])

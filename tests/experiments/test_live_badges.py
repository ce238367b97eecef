"""What changes a board or ticket page is announced (issue 11, items 3, 5, 8): gates added
and removed, each synced page of runs once (not once per run); unlinking a run offers undo;
history lines name runs; gate messages say "failed"."""

import pytest
from django.urls import reverse

from experiments import services
from experiments.models import RunLink, SyncRecord
from experiments.sync.importer import PageImporter
from projects import live
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    link,
)
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def experiment(project):
    return ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector", experiment_id="7")


def revision(project):
    value = live.project_revision(project.pk)
    assert value is not None, "the cache (Redis) must be reachable for this test"
    return value


def test_adding_and_removing_a_gate_announces_it(project, django_capture_on_commit_callbacks):
    ticket = ExperimentTicketFactory(project=project)
    before = revision(project)
    with django_capture_on_commit_callbacks(execute=True):
        gate = services.gate_create(ticket=ticket, user=None, metric="val_f1", op=">=", threshold=0.9)
    assert revision(project) == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        services.gate_delete(gate=gate, user=None)
    assert revision(project) == before + 2


class NoHistories:
    """A client the importer never needs: the runs below log no metrics."""

    parallel_requests = 1


def raw_run(run_id, ticket_key, status="RUNNING"):
    return {
        "info": {
            "run_id": run_id,
            "experiment_id": "7",
            "run_name": f"run {run_id}",
            "status": status,
            "start_time": 1_700_000_000_000,
            "lifecycle_stage": "active",
            "user_id": "dana",
        },
        "data": {"tags": [{"key": "aihub.ticket", "value": ticket_key}]},
    }


def test_a_synced_page_is_announced_once_whatever_its_number_of_runs(
    project, experiment, django_capture_on_commit_callbacks
):
    ticket = ExperimentTicketFactory(project=project)
    importer = PageImporter(
        source=experiment.source,
        client=NoHistories(),
        experiments={"7": experiment},
        record=SyncRecord.objects.create(source=experiment.source, kind=SyncRecord.Kind.FULL),
    )
    page = [raw_run(f"r{i}", ticket.key) for i in range(5)]
    before = revision(project)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = importer.import_page(page)
    assert result.created == 5 and RunLink.objects.filter(ticket=ticket).count() == 5
    assert revision(project) == before + 1 and len(callbacks) == 1
    # The same page again changes nothing, so nothing is announced; a finished run is.
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_page(page)
    assert revision(project) == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_page([raw_run("r0", ticket.key, status="FINISHED"), *page[1:]])
    assert revision(project) == before + 2


def test_unlinking_a_run_offers_undo_and_undo_links_it_again(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project)
    run = RunFactory(experiment=experiment, name="baseline-resnet")
    link(run, ticket)
    client.force_login(member_of(project, "member"))
    unlink = reverse("experiments:ticket_unlink_run", args=[project.key, ticket.key, run.run_id])
    panel = client.post(unlink, HTTP_HX_REQUEST="true").content.decode()
    assert "Unlinked <strong>baseline-resnet</strong> from CV-1." in panel
    relink = reverse("experiments:ticket_link_run", args=[project.key, ticket.key])
    assert f'hx-post="{relink}"' in panel and f'name="run_id" value="{run.run_id}"' in panel
    assert ">Undo</button>" in panel
    assert not RunLink.objects.get(run=run, ticket=ticket).active
    again = client.post(relink, {"run_id": run.run_id}, HTTP_HX_REQUEST="true").content.decode()
    assert RunLink.objects.get(run=run, ticket=ticket).active
    assert "Undo" not in again and "baseline-resnet" in again
    # The ticket's history names the run, not its id.
    history = client.get(reverse("projects:ticket", args=[project.key, ticket.key])).content.decode()
    assert "unlinked run <strong>baseline-resnet</strong>" in history
    assert "linked run <strong>baseline-resnet</strong>" in history
    assert f"(runs): {run.run_id}" not in history


def test_gate_badges_in_the_panel_say_passed_failed_or_pending(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project)
    services.gate_create(ticket=ticket, user=None, metric="val_f1", op=">=", threshold=0.95)
    link(RunFactory(experiment=experiment, metrics={"val_f1": 0.9}), ticket)
    client.force_login(member_of(project, "member"))
    panel = client.get(reverse("experiments:ticket_panel", args=[project.key, ticket.key])).content.decode()
    assert 'badge-fail">failed</span>' in panel and '">fail</span>' not in panel


def test_unlinking_on_the_run_page_offers_undo(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project)
    run = RunFactory(experiment=experiment, name="baseline-resnet")
    link(run, ticket)
    client.force_login(member_of(project, "member"))
    response = client.post(reverse("experiments:run_unlink", args=[project.key, run.run_id, ticket.key]), follow=True)
    page = response.content.decode()
    assert not RunLink.objects.get(run=run, ticket=ticket).active
    assert "Unlinked from" in page and ">Undo</button>" in page
    assert f'name="ticket_key" value="{ticket.key}"' in page
    client.post(reverse("experiments:run_link", args=[project.key, run.run_id]), {"ticket_key": ticket.key})
    assert RunLink.objects.get(run=run, ticket=ticket).active

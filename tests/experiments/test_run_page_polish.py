"""Issue 11 items 10 and 11: the run page (ticket links, author, one number format, one date
format) and the runs table's column chooser, remembered per user and project."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from experiments import services
from experiments.models import RunTablePreference
from experiments.services.gates import ticket_finish_guard
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    gate,
    link,
)
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(key="CV")


@pytest.fixture
def experiment(project):
    return ExperimentFactory(source=MlflowSourceFactory(project=project), name="detector")


def run_url(project, run):
    return reverse("experiments:run", args=[project.key, run.run_id])


def test_run_page_links_its_tickets_and_names_the_mlflow_user(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project, title="Reach 0.90 F1")
    run = RunFactory(
        experiment=experiment,
        user_id="unknown",
        tags={"mlflow.user": "dana"},
        artifact_uri="s3://bucket/" + "very-long-segment/" * 12 + "artifacts",
    )
    link(run, ticket)
    client.force_login(member_of(project, "viewer"))
    body = client.get(run_url(project, run)).content.decode()
    ticket_href = reverse("projects:ticket", args=[project.key, ticket.key])
    assert f'href="{ticket_href}"' in body
    assert "by dana" in body and "by unknown" not in body
    assert 'class="muted artifact-path"' in body


def test_run_page_without_a_user_says_nobody(client, project, experiment, member_of):
    run = RunFactory(experiment=experiment, user_id="unknown", tags={})
    client.force_login(member_of(project, "viewer"))
    assert "by unknown" not in client.get(run_url(project, run)).content.decode()


def test_one_number_format_for_the_gate_message_and_the_run_page(client, project, experiment, member_of):
    ticket = ExperimentTicketFactory(project=project, title="Beat 0.99")
    run = RunFactory(experiment=experiment, name="best", metrics={"val_f1": 0.977169})
    link(run, ticket)
    gate(ticket, "val_f1", ">=", 0.99)
    [reason] = ticket_finish_guard(ticket, None)
    assert "0.9772" in reason and "0.977169" not in reason
    client.force_login(member_of(project, "viewer"))
    body = client.get(run_url(project, run)).content.decode()
    assert '<span class="metric-value" title="0.977169">0.9772</span>' in body


def test_run_page_dates_use_the_app_date_format(client, project, experiment, member_of):
    started = datetime.datetime(2026, 3, 4, 9, 5, tzinfo=datetime.UTC)
    run = RunFactory(experiment=experiment, start_time=started, end_time=started + datetime.timedelta(minutes=3))
    client.force_login(member_of(project, "viewer"))
    body = client.get(run_url(project, run)).content.decode()
    assert "started Mar 4, 2026 09:05" in body
    table = client.get(reverse("experiments:experiment", args=[project.key, experiment.pk])).content.decode()
    assert "Mar 4, 2026 09:05" in table


NAMED_FORMATS = {"DATE_FORMAT", "DATETIME_FORMAT", "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT", "TIME_FORMAT", "c"}


def test_every_template_uses_the_one_date_format():
    """No template spells its own date format: `|date`, a named format or ISO 8601 ('c')."""
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for match in re.finditer(r"\|date:\s*[\"']([^\"']*)[\"']", path.read_text()):
            if match.group(1) not in NAMED_FORMATS:
                offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


# --- Runs table: column chooser -------------------------------------------------------------


def make_runs(experiment, n, ticket=None):
    runs = [
        RunFactory(
            experiment=experiment,
            name=f"run-{i:03d}",
            metrics={"val_f1": i / 100, "loss": 1 - i / 100, "Val_AUC": 0.5},
            params={"lr": str(0.1 / (i + 1)), "depth": str(i % 5), "optimizer": "adam"},
        )
        for i in range(n)
    ]
    for run in runs if ticket else ():
        link(run, ticket)
    return runs


def header_keys(body):
    head = body.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [re.sub(r"<[^>]+>|[↑↓]", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]


def test_chosen_columns_are_shown_and_remembered_per_user_and_project(client, project, experiment, member_of):
    make_runs(experiment, 3)
    viewer, other = member_of(project, "viewer"), member_of(project, "member")
    client.force_login(viewer)
    url = reverse("experiments:experiment", args=[project.key, experiment.pk])
    default = header_keys(client.get(url).content.decode())
    assert {"val_f1", "loss", "Val_AUC", "lr", "depth", "optimizer"} <= set(default)
    response = client.post(
        reverse("experiments:experiment_columns", args=[project.key, experiment.pk]),
        {"metrics": ["Val_AUC"], "params": ["optimizer"]},
    )
    assert response.status_code == 302
    chosen = header_keys(client.get(url).content.decode())
    assert "Val_AUC" in chosen and "optimizer" in chosen
    assert not {"val_f1", "loss", "lr", "depth"} & set(chosen)
    assert "Tickets" in chosen
    # Another member of the project still sees the default columns.
    client.force_login(other)
    assert "val_f1" in header_keys(client.get(url).content.decode())
    # Reset brings the default back.
    client.force_login(viewer)
    client.post(reverse("experiments:experiment_columns", args=[project.key, experiment.pk]), {"reset": "1"})
    assert "val_f1" in header_keys(client.get(url).content.decode())
    assert not RunTablePreference.objects.filter(user=viewer).exists()


def test_column_chooser_refuses_keys_the_runs_do_not_have(client, project, experiment, member_of):
    make_runs(experiment, 2)
    client.force_login(member_of(project, "member"))
    response = client.post(
        reverse("experiments:experiment_columns", args=[project.key, experiment.pk]),
        {"metrics": ["<script>"]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Choose columns from the lists offered." in response.content.decode()
    assert not RunTablePreference.objects.exists()


def test_column_chooser_is_for_members_only(client, project, experiment, member_of):
    outsider_project = ProjectFactory(key="XX")
    client.force_login(member_of(outsider_project, "admin"))
    response = client.post(
        reverse("experiments:experiment_columns", args=[project.key, experiment.pk]), {"metrics": ["val_f1"]}
    )
    assert response.status_code == 404


def test_preference_service_validates_and_keeps_key_case(project, member_of):
    user = member_of(project, "viewer")
    saved = services.run_table_preference_save(
        user=user, project=project, metrics=["Val_AUC", "Val_AUC", "loss"], params=[]
    )
    assert saved.metrics == ["Val_AUC", "loss"]
    with pytest.raises(ValidationError) as error:
        services.run_table_preference_save(user=user, project=project, metrics=[f"m{i}" for i in range(31)], params=[])
    assert "metrics" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.run_table_preference_save(user=user, project=project, metrics=[""], params=[])


@pytest.mark.parametrize("size", [3, 30])
def test_runs_table_with_chosen_columns_costs_constant_queries(
    client, project, experiment, member_of, django_assert_max_num_queries, size
):
    ticket = ExperimentTicketFactory(project=project)
    make_runs(experiment, size, ticket)
    user = member_of(project, "viewer")
    services.run_table_preference_save(user=user, project=project, metrics=["val_f1"], params=["lr"])
    client.force_login(user)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("experiments:experiment", args=[project.key, experiment.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="run-tickets"') == size
    assert reverse("projects:ticket", args=[project.key, ticket.key]) in body

"""The experiments charts of the dashboard (experiments.selectors.charts and its sections):
the metric burn-up's best so far per sprint day in both directions, the runs and failed runs
per sprint, viewers' access, and the same queries for 10 runs and 1,000."""

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from experiments import selectors
from experiments.models import Run
from projects import hooks, services
from projects.models import Role, SprintState
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentFactory, MlflowSourceFactory, RunFactory, TargetFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, SprintFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def at(days_ago: int, hour: int = 1) -> datetime.datetime:
    day = TODAY - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def day(days_ago: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days_ago)


@pytest.fixture
def experiment():
    return ExperimentFactory(source=MlflowSourceFactory(project=ProjectFactory(key="CV")))


def active_sprint(project, started_days_ago=3, length=7):
    start = day(started_days_ago)
    return SprintFactory(
        project=project,
        state=SprintState.ACTIVE,
        start_date=start,
        end_date=start + datetime.timedelta(days=length - 1),
        started_at=at(started_days_ago, 0),
    )


def finished_run(experiment, moment, metrics, **fields):
    return RunFactory(
        experiment=experiment,
        metrics=metrics,
        start_time=moment - datetime.timedelta(minutes=30),
        end_time=moment,
        **fields,
    )


def test_burnup_days_hold_the_last_known_value_and_leave_the_future_empty():
    series = [(at(5), 0.5), (at(2, 10), 0.7), (at(2, 23), 0.75), (at(0), 0.8)]
    days = [day(n) for n in (3, 2, 1, 0)] + [TODAY + datetime.timedelta(days=1)]
    assert selectors.burnup_days(series, days, until=TODAY) == [
        {"date": day(3), "best": 0.5},
        {"date": day(2), "best": 0.75},
        {"date": day(1), "best": 0.75},
        {"date": TODAY, "best": 0.8},
        {"date": TODAY + datetime.timedelta(days=1), "best": None},
    ]
    assert selectors.burnup_days([(at(1), 0.5)], [day(2), day(1)], until=TODAY)[0]["best"] is None


def test_burnup_higher_is_better_best_so_far_per_sprint_day(experiment):
    project = experiment.source.project
    sprint = active_sprint(project)  # days -3 .. +3
    TargetFactory(project=project, metric="val_f1", target=0.9, baseline=0.6, primary=True)
    TargetFactory(project=project, metric="val_loss", direction="lower", target=0.1)  # not primary
    finished_run(experiment, at(6), {"val_f1": 0.7})  # before the sprint: its first day starts there
    finished_run(experiment, at(2, 9), {"val_f1": 0.65})  # worse: no change
    finished_run(experiment, at(2, 15), {"val_f1": 0.78})
    finished_run(experiment, at(1), {"val_f1": 0.99}, status="FAILED")  # failed runs never count
    finished_run(experiment, at(1, 5), {"val_f1": "NaN"})
    finished_run(experiment, at(0), {"val_f1": 0.91})

    data = selectors.metric_burnup(project, sprint)

    assert data["target"].metric == "val_f1" and data["best_value"] == 0.91 and data["met"] is True
    assert [(d["date"], d["best"]) for d in data["days"]] == [
        (day(3), 0.7),
        (day(2), 0.78),
        (day(1), 0.78),
        (day(0), 0.91),
        (day(-1), None),
        (day(-2), None),
        (day(-3), None),
    ]


def test_burnup_lower_is_better_best_so_far(experiment):
    project = experiment.source.project
    sprint = active_sprint(project, started_days_ago=2, length=3)
    TargetFactory(project=project, metric="val_loss", direction="lower", target=0.2, primary=True)
    finished_run(experiment, at(4), {"val_loss": 0.5})
    finished_run(experiment, at(2, 8), {"val_loss": 0.6})  # higher: worse
    finished_run(experiment, at(1, 8), {"val_loss": 0.3})
    finished_run(experiment, at(0, 0), {"val_loss": 0.35})

    data = selectors.metric_burnup(project, sprint)

    assert [d["best"] for d in data["days"]] == [0.5, 0.3, 0.3]
    assert data["met"] is False and data["best_value"] == 0.3


def test_burnup_without_a_primary_target_or_a_sprint_is_empty(experiment):
    project = experiment.source.project
    sprint = active_sprint(project)
    assert selectors.metric_burnup(project, sprint)["days"] == []
    TargetFactory(project=project, primary=True)
    assert selectors.metric_burnup(project, None)["days"] == []


def test_runs_and_failed_runs_per_sprint(experiment):
    project = experiment.source.project
    first = SprintFactory(project=project, state=SprintState.COMPLETED, start_date=day(30), end_date=day(17))
    second = SprintFactory(project=project, state=SprintState.COMPLETED, start_date=day(16), end_date=day(3))
    current = active_sprint(project, started_days_ago=2, length=10)
    SprintFactory(project=project, state=SprintState.PLANNED, start_date=day(-9), end_date=day(-20))
    for moment, status in (
        (at(30, 0), "FINISHED"),
        (at(20), "FAILED"),
        (at(17, 23), "FINISHED"),  # the last hour of its last day
        (at(16, 0), "FAILED"),
        (at(10), "FAILED"),
        (at(10), "KILLED"),
        (at(5), "FINISHED"),
        (at(1), "RUNNING"),
        (at(40), "FAILED"),  # before any sprint
    ):
        RunFactory(experiment=experiment, status=status, start_time=moment, end_time=None)
    RunFactory(experiment=experiment, status="FAILED", start_time=at(1), deleted=True)  # deleted in MLflow
    RunFactory(experiment=experiment, start_time=None, end_time=None)  # no start time
    RunFactory(experiment=ExperimentFactory(), status="FAILED", start_time=at(1))  # another project

    rows = selectors.runs_per_sprint(project)

    assert [(r["id"], r["runs"], r["failed"]) for r in rows] == [
        (first.pk, 3, 1),
        (second.pk, 4, 2),
        (current.pk, 1, 0),
    ]
    assert (rows[2]["first_day"], rows[2]["last_day"]) == (day(2), day(-7))
    assert [r["id"] for r in selectors.runs_per_sprint(project, limit=2)] == [second.pk, current.pk]


def test_the_sections_are_registered_and_viewers_see_them(client, experiment):
    names = {entry["name"]: entry for entry in hooks.dashboard_sections}
    assert names["burnup"]["url_name"] == "experiments:burnup_section"
    assert names["runs_per_sprint"]["url_name"] == "experiments:runs_per_sprint_section"
    assert names["burnup"]["order"] < names["targets"]["order"]  # beside the burndown, first
    project = experiment.source.project
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    active_sprint(project)
    TargetFactory(project=project, metric="val_f1", target=0.9, primary=True)
    finished_run(experiment, at(1), {"val_f1": 0.8})
    RunFactory(experiment=experiment, status="FAILED", start_time=at(1))
    client.force_login(viewer)

    page = client.get(reverse("experiments:burnup_section", args=[project.key]), HTTP_HX_REQUEST="true")
    page = page.content.decode()
    chart = json.loads(page.split('id="burnup-chart-data" type="application/json">')[1].split("</script>")[0])
    assert chart["metric"] == "val_f1" and chart["target"] == 0.9 and len(chart["days"]) == 7
    assert [d["best"] for d in chart["days"][:4]] == [None, None, 0.8, 0.8]
    assert 'data-pm-chart="burnup"' in page and page.count('<th scope="row">') == 7

    page = client.get(reverse("experiments:runs_per_sprint_section", args=[project.key])).content.decode()
    chart = json.loads(page.split('id="runs-chart-data" type="application/json">')[1].split("</script>")[0])
    assert chart["runs"] == [2] and chart["failed"] == [1]
    assert 'data-pm-chart="runs"' in page and page.count('<th scope="row">') == 1

    client.force_login(UserFactory())
    for name in ("experiments:burnup_section", "experiments:runs_per_sprint_section"):
        assert client.get(reverse(name, args=[project.key])).status_code == 404


def test_the_burnup_section_says_what_is_missing(client, experiment):
    project = experiment.source.project
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    client.force_login(admin)
    url = reverse("experiments:burnup_section", args=[project.key])
    assert "No primary target" in client.get(url).content.decode()
    TargetFactory(project=project, primary=True)
    assert "No active sprint" in client.get(url).content.decode()
    sprint = services.sprint_create(
        project=project, name="S", start_date=TODAY, end_date=TODAY + datetime.timedelta(days=1)
    )
    services.sprint_start(sprint=sprint, user=admin)
    assert 'data-pm-chart="burnup"' in client.get(url).content.decode()


def bulk_runs(experiment, count):
    """`count` runs over the last 40 days, one in five failed, with a val_f1."""
    Run.objects.bulk_create(
        Run(
            project=experiment.source.project,
            source=experiment.source,
            experiment=experiment,
            run_id=uuid.uuid4().hex,
            name=f"bulk-{i}",
            status="FAILED" if i % 5 == 0 else "FINISHED",
            start_time=at(i % 40),
            end_time=at(i % 40, 2),
            metrics={"val_f1": 0.5 + (i % 97) / 200},
            fingerprint="x",
        )
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("name", "budget"),
    [
        # session, user, project, active sprint, primary target, its record runs
        ("experiments:burnup_section", 6),
        # session, user, project, sprints, one aggregate of their runs
        ("experiments:runs_per_sprint_section", 5),
    ],
)
def test_each_section_costs_the_same_queries_for_10_and_1000_runs(client, django_assert_max_num_queries, name, budget):
    for count in (10, 1000):
        experiment = ExperimentFactory(source=MlflowSourceFactory(project=ProjectFactory()))
        project = experiment.source.project
        viewer = MembershipFactory(project=project, role=Role.VIEWER).user
        for n in range(4):
            SprintFactory(
                project=project, state=SprintState.COMPLETED, start_date=day(40 - 10 * n), end_date=day(31 - 10 * n)
            )
        active_sprint(project, started_days_ago=0)
        TargetFactory(project=project, metric="val_f1", target=0.9, primary=True)
        bulk_runs(experiment, count)
        client.force_login(viewer)
        with django_assert_max_num_queries(budget):
            response = client.get(reverse(name, args=[project.key]), HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and "data-pm-chart" in response.content.decode()

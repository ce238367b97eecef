"""Status reports (issue 13, item 7): a Markdown page under "Status reports" with health and
its reasons, sprint progress, target movement, gates, risks and what is next; written by a
weekly beat (once per project and period) or "Generate now" (members, not viewers)."""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from docs_hub import reports, selectors, services, tasks
from docs_hub.models import Doc, DocLink, DocRevision, StatusReport
from docs_hub.search import search
from projects import services as project_services
from projects.models import Project, Weekday
from tests.accounts.factories import UserFactory
from tests.experiments.factories import (
    ExperimentFactory,
    ExperimentTicketFactory,
    MlflowSourceFactory,
    RunFactory,
    TargetFactory,
    gate,
    link,
)
from tests.projects.factories import (
    LabelFactory,
    MembershipFactory,
    ProjectFactory,
    RiskFactory,
    SprintFactory,
    TicketFactory,
    seed_board,
    seed_risks,
)
from tests.services import require_postgres

UTC = datetime.UTC


def _project_with_work(*, extra_tickets: int = 0, extra_risks: int = 0, extra_runs: int = 0):
    """A project with an active sprint (4 x 3 points, one finished), a primary target with
    two runs (best 0.9 of 0.95), a gated experiment ticket, and an open high risk; plus as
    many more tickets, risks and runs as asked (for the query budget at two sizes)."""
    admin = UserFactory()
    project = ProjectFactory()
    MembershipFactory(project=project, user=admin, role="admin")
    today = timezone.localdate()
    sprint = SprintFactory(
        project=project, start_date=today - datetime.timedelta(days=3), end_date=today + datetime.timedelta(days=10)
    )
    tickets = [TicketFactory(project=project, reporter=admin, title=f"Work {i}", estimate=3) for i in range(4)]
    project_services.sprint_add_tickets(sprint=sprint, tickets=tickets, user=admin, project=project)
    project_services.sprint_start(sprint=sprint, user=admin)
    project_services.ticket_update(ticket=tickets[0], user=admin, status="done")
    TicketFactory(project=project, reporter=admin, title="Next up in the backlog", estimate=5)
    experiment = ExperimentFactory(source=MlflowSourceFactory(project=project))
    TargetFactory(project=project, metric="val_f1", target=0.95, primary=True)
    now = timezone.now()
    runs = [
        RunFactory(
            experiment=experiment, name="first", metrics={"val_f1": 0.8}, end_time=now - datetime.timedelta(hours=3)
        ),
        RunFactory(
            experiment=experiment, name="second", metrics={"val_f1": 0.9}, end_time=now - datetime.timedelta(hours=2)
        ),
    ]
    guarded = ExperimentTicketFactory(project=project)
    gate(guarded, metric="val_f1", op=">=", threshold=0.85)
    link(runs[1], guarded)
    RiskFactory(project=project, user=admin, title="Labels disagree", likelihood=4, impact=4)
    if extra_tickets:
        project.refresh_from_db()  # the ticket counter the factories moved
        seed_board(project, admin, sprint, [LabelFactory(project=project)], extra_tickets)
    if extra_risks:
        seed_risks(project, extra_risks)
    for i in range(extra_runs):
        RunFactory(experiment=experiment, name=f"extra-{i}", metrics={"val_f1": 0.5 + i / (extra_runs * 10)})
    return project, admin, experiment, guarded


# --- When a report is due ------------------------------------------------------------------


def test_the_weekly_slot_is_the_last_weekday_and_time_in_utc():
    monday_nine = datetime.time(9, 0)
    wednesday = datetime.datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert reports.weekly_slot(wednesday, weekday=Weekday.MONDAY, at=monday_nine) == datetime.datetime(
        2026, 11, 30, 9, 0, tzinfo=UTC
    )
    # Monday before nine: last week's Monday; at nine: today.
    monday = datetime.datetime(2026, 11, 30, 8, 59, tzinfo=UTC)
    assert reports.weekly_slot(monday, weekday=0, at=monday_nine).date() == datetime.date(2026, 11, 23)
    assert reports.weekly_slot(monday.replace(minute=0, hour=9), weekday=0, at=monday_nine).date() == monday.date()
    # Another time zone's clock reads the same instant.
    paris = datetime.timezone(datetime.timedelta(hours=1))
    assert reports.weekly_slot(datetime.datetime(2026, 11, 30, 10, 0, tzinfo=paris), weekday=0, at=monday_nine) == (
        datetime.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    )


def test_a_slot_is_due_for_a_day():
    at = datetime.time(9, 0)
    slot = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert reports.due_period(slot - datetime.timedelta(minutes=1), weekday=0, at=at) is None
    assert reports.due_period(slot, weekday=0, at=at) == slot.date()
    assert reports.due_period(slot + datetime.timedelta(hours=23, minutes=59), weekday=0, at=at) == slot.date()
    assert reports.due_period(slot + datetime.timedelta(hours=24), weekday=0, at=at) is None


@pytest.mark.django_db
def test_projects_due_not_due_due_and_already_written():
    on = ProjectFactory(status_report_enabled=True, status_report_weekday=0, status_report_time=datetime.time(9, 0))
    ProjectFactory(status_report_enabled=False, status_report_weekday=0, status_report_time=datetime.time(9, 0))
    ProjectFactory(status_report_enabled=True, status_report_weekday=2, status_report_time=datetime.time(9, 0))
    slot = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
    assert selectors.projects_due_for_report(now=slot - datetime.timedelta(minutes=1)) == []  # not due yet
    assert selectors.projects_due_for_report(now=slot + datetime.timedelta(minutes=14)) == [(on.pk, slot.date())]
    # Tuesday 08:59: still Monday's (the window is a day, across midnight).
    assert selectors.projects_due_for_report(now=slot + datetime.timedelta(hours=23, minutes=59)) == [
        (on.pk, slot.date())
    ]
    services.status_report_generate(project=on, period=slot.date(), now=slot)
    assert selectors.projects_due_for_report(now=slot + datetime.timedelta(minutes=15)) == []  # written already


@pytest.mark.django_db
def test_the_beat_queues_one_task_per_due_project_and_the_task_writes_once(django_capture_on_commit_callbacks):
    project, *_ = _project_with_work()
    Project.objects.filter(pk=project.pk).update(
        status_report_enabled=True, status_report_weekday=0, status_report_time=datetime.time(9, 0)
    )
    slot = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.status_reports_dispatch_due(now=slot + datetime.timedelta(minutes=5)) == 1
    assert StatusReport.objects.filter(project=project, period=slot.date()).count() == 1
    # The beat fires again, and the task runs twice (a retry, a second worker): one report.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.status_reports_dispatch_due(now=slot + datetime.timedelta(minutes=20)) == 0
    tasks.status_report_write.apply(args=(project.pk, slot.date().isoformat()))
    tasks.status_report_write.apply(args=(project.pk, slot.date().isoformat()))
    assert StatusReport.objects.filter(project=project).count() == 1
    parent = Doc.objects.get(project=project, title="Status reports")
    assert list(parent.children.values_list("title", flat=True)) == ["Status report 2026-11-30"]
    # A schedule turned off after the beat queued the task: nothing is written.
    Project.objects.filter(pk=project.pk).update(status_report_enabled=False)
    assert tasks.status_report_write.apply(args=(project.pk, "2026-12-07")).get() is None
    assert StatusReport.objects.filter(project=project).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_writing_the_same_period_at_once_write_one_page():
    require_postgres()
    project, *_ = _project_with_work()
    period = datetime.date(2026, 11, 30)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait(timeout=30)
            services.status_report_generate(project=project, period=period)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    assert not errors, errors
    assert StatusReport.objects.filter(project=project).count() == 1
    assert Doc.objects.filter(project=project, title="Status reports").count() == 1
    assert Doc.objects.filter(project=project, title__startswith="Status report ").count() == 1


# --- What a report says ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_report_is_a_versioned_searchable_page_with_frozen_numbers():
    project, admin, *_ = _project_with_work()
    report = services.status_report_generate(project=project, user=admin)
    doc = report.doc
    assert doc.parent.title == "Status reports" and doc.version == 1
    assert DocRevision.objects.get(doc=doc, version=1).body == doc.body
    assert doc.macros == []  # no live values: the text holds the numbers
    assert "## Health: At risk" in doc.body and "| 12 | 0 | 0 | 3 | 9 |" in doc.body
    assert "val\\_f1" in doc.body and "0.9" in doc.body
    hits = search(user=admin, query="status report", project=project)
    assert doc.title in [hit.title for hit in hits]
    # Work moves on: the page still says what it said (and an edit is a new version).
    body = doc.body
    project_services.ticket_update(ticket=project.tickets.get(title="Work 1"), user=admin, status="done")
    doc.refresh_from_db()
    assert doc.body == body
    services.doc_update(doc=doc, author=admin, body=body + "\nDiscussed on Monday.\n")
    assert DocRevision.objects.filter(doc=doc).count() == 2
    assert DocRevision.objects.get(doc=doc, version=1).body == body


@pytest.mark.django_db
def test_the_second_report_says_what_moved_since_the_first(client):
    project, admin, experiment, _ = _project_with_work()
    first = services.status_report_generate(project=project, user=admin)
    assert "This is the project's first status report." in first.doc.body
    best = RunFactory(experiment=experiment, name="third", metrics={"val_f1": 0.96})
    tuned = ExperimentTicketFactory(project=project, title="Tune the threshold")
    gate(tuned, metric="val_f1", op=">=", threshold=0.95)
    link(best, tuned)
    risk = project.risks.get()
    project_services.risk_close(risk=risk, user=admin)
    RiskFactory(project=project, user=admin, title="GPU quota cut", likelihood=2, impact=3)
    second = services.status_report_generate(project=project, user=admin)
    target = second.figures["targets"][0]
    assert (target["then_value"], target["best_value"], target["met"]) == (0.9, 0.96, True)
    assert [step["name"] for step in target["moved_by"]] == ["third"]
    assert [g["gate"] for g in second.figures["gates_passed"]] == ["val_f1 >= 0.95"]  # the 0.85 gate passed before
    assert [r["title"] for r in second.figures["risks_opened"]] == ["GPU quota cut"]
    assert [r["title"] for r in second.figures["risks_closed"]] == ["Labels disagree"]
    body = second.doc.body
    assert f"[[{first.doc.title}]]" in body
    run_url = reverse("experiments:run", kwargs={"key": project.key, "run_id": best.run_id})
    assert f"[third]({run_url})" in body and "| 0.9 | 0.96 (met) |" in body
    assert DocLink.objects.filter(source=second.doc, target=first.doc).exists()  # a backlink to the last one
    # Shown as a page: linked run, linked tickets.
    client.force_login(admin)
    page = client.get(reverse("docs_hub:detail", kwargs={"key": project.key, "slug": second.doc.slug}))
    assert page.status_code == 200 and run_url in page.content.decode()


@pytest.mark.django_db
def test_typed_text_stays_text_in_a_report():
    project, admin, *_ = _project_with_work()
    RiskFactory(
        project=project,
        user=admin,
        title="{{ticket:" + project.key + "-1}} [[Secret page]] <script>alert(1)</script> *x* | y",
        likelihood=5,
        impact=5,
    )
    doc = services.status_report_generate(project=project, user=admin).doc
    assert doc.macros == []
    assert not DocLink.objects.filter(source=doc, target_text="Secret page").exists()
    assert "<script>" not in doc.body_html and "&lt;script&gt;" in doc.body_html
    assert "[[Secret page]]" in doc.body_html  # shown as typed


@pytest.mark.django_db
def test_what_is_next_lists_the_next_milestone_and_the_top_of_the_backlog():
    from projects.models import Milestone

    project, admin, *_ = _project_with_work()
    Milestone.objects.create(project=project, name="Pilot on line 3", due_date=datetime.date(2027, 1, 15))
    body = services.status_report_generate(project=project, user=admin).doc.body
    next_part = body.split("## What is next", 1)[1]
    assert "Next milestone: **Pilot on line 3**, due 2027-01-15." in next_part
    assert "Next up in the backlog" in next_part


@pytest.mark.django_db
def test_generation_costs_the_same_queries_at_two_sizes():
    small, *_ = _project_with_work()
    large, *_ = _project_with_work(extra_tickets=1000, extra_risks=300, extra_runs=200)
    counts = []
    for project in (small, large):
        services.status_report_generate(project=project)  # the first makes the parent page too
        with CaptureQueriesContext(connection) as queries:
            services.status_report_generate(project=project)
        counts.append(len(queries))
    # 43 when written (health's rules, the sprint's figures, targets, gates, risks, what is
    # next, then doc_create); the same at both sizes is the point.
    assert counts[0] == counts[1] <= 60, counts


# --- Who may generate, and the settings -----------------------------------------------------


@pytest.mark.django_db
def test_members_generate_now_and_viewers_cannot(client, member_of):
    project, *_ = _project_with_work()
    section = reverse("docs_hub:reports_section", kwargs={"key": project.key})
    generate = reverse("docs_hub:report_generate", kwargs={"key": project.key})
    client.force_login(member_of(project, "viewer"))
    assert client.get(section).status_code == 200
    assert "Generate now" not in client.get(section).content.decode()
    assert client.post(generate).status_code == 403
    client.force_login(UserFactory())
    assert client.post(generate).status_code == 404
    assert not StatusReport.objects.exists()
    client.force_login(member_of(project, "member"))
    assert "Generate now" in client.get(section).content.decode()
    answer = client.post(generate)
    report = StatusReport.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "docs_hub:detail", kwargs={"key": project.key, "slug": report.doc.slug}
    )
    assert report.trigger == "manual" and report.period is None
    assert report.doc.title in client.get(section).content.decode()


@pytest.mark.django_db
def test_the_dashboard_loads_the_reports_section(client, member_of):
    project, *_ = _project_with_work()
    client.force_login(member_of(project, "viewer"))
    page = client.get(reverse("projects:dashboard", kwargs={"key": project.key})).content.decode()
    assert reverse("docs_hub:reports_section", kwargs={"key": project.key}) in page


@pytest.mark.django_db
def test_reports_api_lists_for_viewers_and_generates_for_members(api, member_of):
    project, *_ = _project_with_work()
    url = f"/api/v1/projects/{project.key}/status-reports/"
    viewer = api.as_user(member_of(project, "viewer"))
    assert viewer.post(url).status_code == 403
    member = api.as_user(member_of(project, "member"))
    made = member.post(url)
    assert made.status_code == 201
    assert made.json()["trigger"] == "manual" and made.json()["figures"]["health"]["status"] == "at_risk"
    listed = api.as_user(member_of(project, "viewer")).get(url)
    assert listed.status_code == 200 and [r["url"] for r in listed.json()] == [made.json()["url"]]
    assert api.as_user(UserFactory()).get(url).status_code == 404


@pytest.mark.django_db
def test_status_reports_and_their_settings_are_in_the_openapi_document(api, member_of):
    schema = api.as_user(member_of(ProjectFactory())).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/projects/{key}/status-reports/"])
    fields = schema["components"]["schemas"]["StatusReport"]["properties"]
    assert {"id", "title", "slug", "url", "period", "trigger", "generated_at", "figures"} <= set(fields)
    project_fields = schema["components"]["schemas"]["Project"]["properties"]
    assert {"status_report_enabled", "status_report_weekday", "status_report_time"} <= set(project_fields)


@pytest.mark.django_db
def test_report_settings_on_the_settings_page_and_in_the_api(client, api, member_of):
    project, admin, *_ = _project_with_work()
    client.force_login(admin)
    form = client.get(reverse("projects:settings", kwargs={"key": project.key})).content.decode()
    assert 'name="status_report_enabled"' in form and 'name="status_report_time"' in form
    data = {
        "name": project.name,
        "description": project.description,
        "objectives": "",
        "phase": project.phase,
        "board_mode": project.board_mode,
        "status_report_enabled": "on",
        "status_report_weekday": "4",
        "status_report_time": "16:30",
    }
    # Whatever else the settings form holds (health thresholds...), as it stands.
    data = {**_form_defaults(client, project), **data}
    assert client.post(reverse("projects:settings", kwargs={"key": project.key}), data).status_code == 302
    project.refresh_from_db()
    assert (project.status_report_enabled, project.status_report_weekday, project.status_report_time) == (
        True,
        Weekday.FRIDAY,
        datetime.time(16, 30),
    )
    url = f"/api/v1/projects/{project.key}/"
    admin_api = api.as_user(admin)
    assert admin_api.get(url).json()["status_report_weekday"] == 4
    answer = admin_api.patch(url, {"status_report_weekday": 9, "status_report_time": "25:00"}, format="json")
    assert answer.status_code == 400 and {"status_report_weekday", "status_report_time"} <= set(answer.json())
    answer = admin_api.patch(url, {"status_report_enabled": False, "status_report_time": "07:15"}, format="json")
    assert answer.status_code == 200 and answer.json()["status_report_time"] == "07:15:00"
    assert api.as_user(member_of(project, "member")).patch(url, {"status_report_enabled": True}).status_code == 403


def _form_defaults(client, project) -> dict:
    """The settings form's current values (a GET), so a POST keeps fields this test does not name."""
    from projects.forms import ProjectSettingsForm

    form = ProjectSettingsForm(instance=project)
    values = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        values[name] = "on" if value is True else value
    return values


# --- On a real worker, the same figures as the dashboard ------------------------------------


@pytest.mark.celery_worker
def test_a_scheduled_report_is_written_by_a_real_worker_with_the_dashboards_figures(celery_worker_process, api):
    import time

    project, admin, *_ = _project_with_work()
    due = timezone.now() - datetime.timedelta(minutes=1)
    Project.objects.filter(pk=project.pk).update(
        status_report_enabled=True,
        status_report_weekday=due.astimezone(UTC).weekday(),
        status_report_time=due.astimezone(UTC).time().replace(second=0, microsecond=0),
    )
    assert services.status_reports_dispatch_due() == 1
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not StatusReport.objects.filter(project=project).exists():
        time.sleep(0.3)
    report = StatusReport.objects.select_related("doc").filter(project=project).first()
    assert report is not None, celery_worker_process["log"].read_text()[-3000:]
    assert "status_report_write" in celery_worker_process["log"].read_text()
    assert report.trigger == "scheduled" and report.period == due.astimezone(UTC).date()

    dashboard = api.as_user(admin).get(f"/api/v1/projects/{project.key}/dashboard/").json()
    figures = report.figures
    assert figures["health"]["status"] == dashboard["health"]["status"] == "at_risk"
    assert [(r["code"], r["message"]) for r in figures["health"]["reasons"]] == [
        (r["code"], r["message"]) for r in dashboard["health"]["reasons"]
    ]
    for name in ("committed_points", "completed_points", "remaining_points", "days_left"):
        assert figures["sprint"][name] == dashboard["sprint"][name], name
    assert [(t["metric"], t["best_value"], t["best_run"], t["met"]) for t in figures["targets"]] == [
        (t["metric"], t["best_value"], t["best_run"], t["met"]) for t in dashboard["targets"]
    ]
    # ...and the page's text says them.
    body = report.doc.body
    assert "## Health: At risk" in body
    for reason in dashboard["health"]["reasons"]:
        assert reports.md(reason["message"]) in body
    sprint = dashboard["sprint"]
    assert (
        f"| {sprint['committed_points']} | {sprint['added_points']} | {sprint['removed_points']} "
        f"| {sprint['completed_points']} | {sprint['remaining_points']} |"
    ) in body
    assert f"{sprint['days_left']} days left" in body
    # The beat firing again writes nothing more.
    assert services.status_reports_dispatch_due() == 0


# --- The demo -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_demo_workspace_has_one_generated_report(settings, tmp_path):
    settings.MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings.MLFLOW_ARTIFACT_ROOT = str(tmp_path / "artifacts")
    call_command("seed_demo", stdout=io.StringIO())
    cv = Project.objects.get(key="CV")
    report = StatusReport.objects.select_related("doc__parent").get(project=cv)
    assert report.doc.parent.title == "Status reports" and cv.status_report_enabled
    body = report.doc.body
    # Written after the demo's runs are synced (in-process here): one target met, one not.
    assert "| val\\_f1 | ≥ 0.95 | — |" in body and "(met)" in body and "/experiments/runs/" in body
    assert "## Health: " in body and "Scratch labels disagree between QA shifts" in body
    call_command("seed_demo", stdout=io.StringIO())
    assert StatusReport.objects.filter(project=cv).count() == 1

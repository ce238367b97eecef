"""Jira CSV import (issue 14, item 3): the parser on a real export layout, the preview that
writes nothing, the import and its re-import (no duplicates, changes applied), bad files,
the role matrix and the page's query budget."""

import datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEntry
from integrations import jira_import
from integrations.jira_csv import map_statuses, parse_jira_csv, parse_jira_datetime, wiki_to_markdown
from integrations.models import ImportJob
from projects.models import Comment, CustomField, Label, Role, Sprint, Ticket, TicketEvent
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "jira_export.csv"


def fixture_bytes() -> bytes:
    return FIXTURE.read_bytes()


@pytest.fixture
def ml():
    """Project ML with the people of the export: matched by display name, e-mail,
    username and a non-ASCII display name; "Unknown Contractor" is nobody here."""
    project = ProjectFactory(key="ML", name="Machine learning")
    admin = MembershipFactory(project=project, role=Role.ADMIN, user=UserFactory(username="lead")).user
    MembershipFactory(project=project, user=UserFactory(username="ana", display_name="Ana Souza"))
    MembershipFactory(project=project, user=UserFactory(username="marek", email="marek.nowak@example.com"))
    MembershipFactory(project=project, user=UserFactory(username="j.kowalski", display_name="Jan Kowalski"))
    MembershipFactory(project=project, user=UserFactory(username="zoe", display_name="Zoë Müller"))
    return project, admin


def run_import(project, admin, data: bytes, **options):
    jira = parse_jira_csv(data)
    return jira_import.jira_apply(
        project=project, jira=jira, options=jira_import.jira_options_clean(**options), actor=admin
    )


# --- parsing ---------------------------------------------------------------------------------


def test_the_fixture_parses_with_repeated_columns_multiline_fields_and_unknown_columns():
    jira = parse_jira_csv(fixture_bytes())
    assert len(jira.issues) == 49 and jira.errors == []
    by_key = {i.key: i for i in jira.issues}
    story = by_key["ML-51"]
    # Three "Labels" columns and two "Component/s" columns gathered into one list.
    assert story.labels == ["gpu", "perf", "ml", "Serving"]
    # A quoted field over two lines, with doubled quotes inside.
    assert story.description.startswith('Zugriff auf den Bucket "raw-eu" fehlt noch;')
    assert "\nNext step:" in story.description
    # Comments: "date;author;body", the body keeps its own semicolons and newlines.
    assert [c.author for c in story.comments] == [
        "Zoë Müller",
        "557058:f3a1c2d4-1111-4c4b-9c1e-6b6a8b1f0a01",
        "j.kowalski",
    ]
    assert story.comments[2].body == "Merci, c'est corrigé dans la v2.3 ; je ferme."
    assert story.comments[0].created == datetime.datetime(2024, 3, 29, 16, 0, tzinfo=datetime.UTC)
    assert story.estimate == 5 and story.parent_ref == "10002"
    # Two Sprint columns: the issue rolled over, its sprint now is the last one.
    assert by_key["ML-16"].sprints == ["ML Sprint 1", "ML Sprint 2"] and by_key["ML-16"].sprint == "ML Sprint 2"
    assert by_key["ML-9"].parent_ref == "ML-1"  # Custom field (Epic Link)
    assert by_key["ML-8"].estimate == 1  # "0.5" story points round up
    assert "Custom field (Team)" in jira.unknown_columns and "Environment" in jira.unknown_columns
    assert "Watchers" not in jira.unknown_columns and "Custom field (Rank)" not in jira.unknown_columns
    assert "Time Spent" not in jira.unknown_columns  # never filled: nothing to keep
    # Jira wiki markup becomes Markdown.
    assert "```python\nloss = criterion(out, y)" in by_key["ML-1"].description
    assert "[the run](https://mlflow.example.com/#/experiments/4/runs/af31)" in by_key["ML-1"].description


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12/Mar/24 3:15 PM", datetime.datetime(2024, 3, 12, 15, 15)),
        ("2/Mar/2024 11:05 AM", datetime.datetime(2024, 3, 2, 11, 5)),
        ("2024-03-12 15:15", datetime.datetime(2024, 3, 12, 15, 15)),
        ("2024-03-12T15:15:00.000+0000", datetime.datetime(2024, 3, 12, 15, 15)),
        ("12/Mär/24 15:15", datetime.datetime(2024, 3, 12, 15, 15)),
        ("12/déc./23 09:30", datetime.datetime(2023, 12, 12, 9, 30)),
        ("12.03.2024 15:15", datetime.datetime(2024, 3, 12, 15, 15)),
        ("12/Mar/24", datetime.datetime(2024, 3, 12)),
    ],
)
def test_jira_date_formats(text, expected):
    assert parse_jira_datetime(text).replace(tzinfo=None) == expected


def test_rows_without_a_key_or_summary_are_left_out_with_the_reason():
    data = "Summary,Issue key,Labels,Labels\nGood,ML-1,a,b\nNo key,,x,\n,ML-2,,\nBad key,not a key,,\nAgain,ML-1,c,\n"
    jira = parse_jira_csv(data.encode())
    assert [(i.key, i.summary, i.labels) for i in jira.issues] == [("ML-1", "Again", ["c"])]
    assert jira.errors == [
        "Line 3: no issue key, row skipped.",
        "Line 4: ML-2 has no summary, row skipped.",
        "Line 5: “NOT A KEY” is not a Jira issue key, row skipped.",
        "Line 6: ML-1 appears twice (also line 2); the last row wins.",
    ]


def test_no_date_is_none_and_wiki_lists_become_markdown():
    assert parse_jira_datetime("") is None and parse_jira_datetime("next week") is None
    assert wiki_to_markdown("h2. Plan\n# one\n# two\n{{x}}") == "## Plan\n\n1. one\n1. two\n`x`"


def test_statuses_map_by_name_then_by_category_and_a_choice_wins():
    from integrations.jira_csv import WorkflowColumn

    workflow = [
        WorkflowColumn("todo", "To do", False),
        WorkflowColumn("in_progress", "In progress", False),
        WorkflowColumn("in_review", "In review", False),
        WorkflowColumn("done", "Done", True),
    ]
    jira = {"To Do": "To Do", "Code Review": "In Progress", "Won't Do": "Done", "Backlog": "", "QA": ""}
    mapped = map_statuses(jira, workflow, {"Code Review": "in_review"})
    assert mapped == {
        "To Do": ("todo", "name"),
        "Code Review": ("in_review", "chosen"),
        "Won't Do": ("done", "category"),
        "Backlog": ("todo", "category"),
        "QA": ("in_progress", "category"),
    }


# --- preview ----------------------------------------------------------------------------------


def test_the_preview_shows_the_mappings_and_writes_nothing(ml, django_assert_max_num_queries):
    project, _ = ml
    jira = parse_jira_csv(fixture_bytes())
    before = (Ticket.objects.count(), Sprint.objects.count(), Label.objects.count(), CustomField.objects.count())
    with django_assert_max_num_queries(8):
        preview = jira_import.jira_preview(project=project, jira=jira, options=jira_import.jira_options_clean())
    after = (Ticket.objects.count(), Sprint.objects.count(), Label.objects.count(), CustomField.objects.count())
    assert before == after
    assert preview["tickets"] == 49 and preview["create"] == 49 and preview["update"] == 0
    statuses = {s["jira"]: (s["to"], s["how"]) for s in preview["statuses"]}
    assert statuses["Done"] == ("done", "name") and statuses["Code Review"] == ("in_progress", "category")
    assert preview["unmatched_users"] == ["557058:f3a1c2d4-1111-4c4b-9c1e-6b6a8b1f0a01", "Unknown Contractor"]
    users = {u["jira"]: u["to"] for u in preview["users"]}
    assert users["Ana Souza"] == "ana" and users["marek.nowak@example.com"] == "marek" and users["Zoë Müller"] == "zoe"
    assert [(s["name"], s["new"]) for s in preview["sprints"]] == [
        ("ML Sprint 1", True),
        ("ML Sprint 2", True),
        ("ML Sprint 3", True),
    ]
    assert "tech-debt" in preview["new_labels"] and preview["epics"] == 2
    assert preview["preview"][0] == {
        "key": "ML-52",
        "title": "Évaluer le modèle sur le jeu de test gelé",
        "action": "create",
        "type": "story",
        "jira_type": "Story",
        "status": "in_progress",
        "status_name": "In progress",
        "jira_status": "Code Review",
        "priority": "low",
        "assignee": "j.kowalski",
        "jira_assignee": "j.kowalski",
        "sprint": None,
        "parent": "ML-2",
        "estimate": 8,
        "labels": ["Serving"],
        "comments": 0,
    }
    columns = {c["name"]: c for c in preview["unknown_columns"]}
    assert columns["Custom field (Team)"]["key"] == "jira_team" and columns["Custom field (Team)"]["keep"]


# --- import and re-import ----------------------------------------------------------------------


def test_the_import_creates_tickets_sprints_labels_comments_parents_and_estimates(ml):
    project, admin = ml
    result = run_import(project, admin, fixture_bytes())
    assert (result["created"], result["updated"]) == (49, 0)
    tickets = {t.external_ref: t for t in Ticket.objects.filter(project=project).select_related("status", "sprint")}
    assert len(tickets) == 49
    # The project has Jira's key: every ticket keeps its Jira number (ML-42 stays ML-42).
    assert all(t.key == ref for ref, t in tickets.items())
    epic, story, sub = tickets["ML-1"], tickets["ML-9"], tickets["ML-16"]
    assert epic.type == "epic" and story.type == "bug" and sub.type == "task"
    assert story.parent_id == epic.pk  # Epic Link
    assert tickets["ML-52"].parent_id == tickets["ML-2"].pk  # Parent (issue id)
    assert sub.parent_id == tickets["ML-15"].pk  # a sub-task under its story
    assert sub.sprint.name == "ML Sprint 2" and sub.status.slug == "in_progress"
    assert tickets["ML-51"].estimate == 5 and tickets["ML-51"].assignee.username == "marek"
    assert story.assignee is None  # "Unknown Contractor" is no member
    assert tickets["ML-50"].type == "spike" and tickets["ML-50"].priority == "high"
    assert tickets["ML-4"].priority == "low" and tickets["ML-14"].priority == "urgent"
    done = tickets["ML-5"]
    assert done.status.is_finished and done.finished_at is not None
    assert epic.created_at == datetime.datetime(2024, 3, 4, 10, 0, tzinfo=datetime.UTC)
    assert "<pre" in epic.description_html and "<ol>" in epic.description_html
    assert set(Sprint.objects.filter(project=project).values_list("name", flat=True)) == {
        "ML Sprint 1",
        "ML Sprint 2",
        "ML Sprint 3",
    }
    assert set(tickets["ML-51"].labels.values_list("name", flat=True)) == {"gpu", "perf", "ml", "Serving"}
    assert tickets["ML-51"].custom_fields == {
        "jira_original_estimate": "28800",
        "jira_remaining_estimate": "14400",
        "jira_model_version": "v2.3",
    }
    assert CustomField.objects.get(project=project, key="jira_team").name == "Team"
    comments = list(Comment.objects.filter(ticket=tickets["ML-51"]).select_related("author"))
    assert [c.author.username if c.author else None for c in comments] == ["zoe", None, "j.kowalski"]
    assert comments[1].body.startswith("**a Jira user** (Jira):\n\nMoving to next sprint")
    assert comments[0].created_at == datetime.datetime(2024, 3, 29, 16, 0, tzinfo=datetime.UTC)
    assert TicketEvent.objects.filter(ticket__project=project, kind="created").count() == 49
    project.refresh_from_db()
    assert project.ticket_counter == 52


def test_reimporting_the_same_file_creates_nothing_twice(ml):
    project, admin = ml
    first = run_import(project, admin, fixture_bytes())
    counts = (Ticket.objects.count(), Comment.objects.count(), Sprint.objects.count(), Label.objects.count())
    again = run_import(project, admin, fixture_bytes())
    assert (again["created"], again["updated"], again["unchanged"], again["comments"]) == (0, 0, 49, 0)
    assert counts == (Ticket.objects.count(), Comment.objects.count(), Sprint.objects.count(), Label.objects.count())
    assert first["comments"] == Comment.objects.count() > 0


def test_reimporting_a_changed_file_updates_what_changed(ml):
    project, admin = ml
    run_import(project, admin, fixture_bytes())
    text = fixture_bytes().decode()
    changed = text.replace("Ingest raw sensor logs from S3,ML-20,", "Ingest raw sensor logs from S3 and GCS,ML-20,")
    changed = changed.replace("(task),ML-51,10051,Task,In Progress,", "(task),ML-51,10051,Task,Done,")
    changed += "New issue after the export,ML-60,10060,Story,To Do" + "," * 52 + "\n"
    result = run_import(project, admin, changed.encode())
    assert (result["created"], result["updated"]) == (1, 2)
    renamed = Ticket.objects.get(project=project, external_ref="ML-20")
    assert renamed.title == "Ingest raw sensor logs from S3 and GCS" and renamed.version == 2
    moved = Ticket.objects.select_related("status").get(project=project, external_ref="ML-51")
    assert moved.status.slug == "done" and moved.finished_at is not None
    assert TicketEvent.objects.filter(ticket=moved, kind="changed", field="status").exists()
    assert Ticket.objects.get(project=project, external_ref="ML-60").key == "ML-60"
    assert Ticket.objects.filter(project=project).count() == 50


def test_another_project_key_numbers_tickets_after_its_own(ml):
    _, admin = ml
    other = ProjectFactory(key="CV")
    MembershipFactory(project=other, user=admin, role=Role.ADMIN)
    TicketFactory(project=other, title="Native ticket")  # CV-1
    run_import(other, admin, fixture_bytes())
    imported = Ticket.objects.filter(project=other).exclude(external_ref="").order_by("number")
    assert [t.key for t in imported[:3]] == ["CV-2", "CV-3", "CV-4"]
    assert [t.external_ref for t in imported[:3]] == ["ML-1", "ML-2", "ML-3"]  # in Jira key order


def test_the_task_claims_a_job_once_and_takes_over_one_whose_worker_died(ml):
    import datetime as dt

    from django.utils import timezone

    project, admin = ml
    job = ImportJob(project=project, kind="jira", created_by=admin, total=49, file_name="x.csv")
    job.file.save("jira.csv", ContentFile(fixture_bytes()), save=False)
    job.save()
    assert jira_import.jira_import_run(job_id=job.pk).status == "done"
    assert jira_import.jira_import_run(job_id=job.pk) is None  # run twice: nothing happens
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    assert jira_import.jira_import_run(job_id=job.pk) is None  # still running elsewhere
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(hours=1))
    again = jira_import.jira_import_run(job_id=job.pk)
    assert (again.status, again.created, again.updated) == ("done", 0, 0)
    assert Ticket.objects.filter(project=project).count() == 49


def test_ignoring_unknown_columns_keeps_no_custom_fields(ml):
    project, admin = ml
    run_import(project, admin, fixture_bytes(), unknown_columns="ignore")
    assert not CustomField.objects.filter(project=project).exists()
    assert not Ticket.objects.filter(project=project).exclude(custom_fields={}).exists()


def test_plain_texts_render_exactly_as_the_markdown_renderer_does():
    """The import's shortcut for texts without Markdown syntax gives the same HTML as
    render_markdown, and stands aside for anything with syntax."""
    from aihub.markdown import render_markdown

    jira = parse_jira_csv(fixture_bytes())
    texts = [c.body for i in jira.issues for c in i.comments] + [i.description for i in jira.issues if i.description]
    texts += ['Zoë said "yes" → ok\nsecond line\n\nPara (two) 50% $5 / x #3', "it's 3 < 4", "1. list", "a  \nb"]
    shortcut = [t for t in texts if jira_import.plain_paragraphs(t) is not None]
    assert len(shortcut) >= 10 and len(shortcut) < len(texts)
    for text in shortcut:
        assert jira_import.plain_paragraphs(text) == render_markdown(text), text
    assert jira_import.plain_paragraphs("it's 3 < 4") is None and jira_import.plain_paragraphs("1. list") is None


# --- the API ------------------------------------------------------------------------------------


def upload(data: bytes, name: str = "jira.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_api_dry_run_answers_the_preview_and_writes_nothing(ml, api):
    project, admin = ml
    answer = api.as_user(admin).post(
        "/api/v1/projects/ML/imports/jira/",
        {"file": upload(fixture_bytes()), "dry_run": "true", "status_map": '{"Code Review": "in_review"}'},
        format="multipart",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["tickets"] == 49 and len(body["preview"]) == 20 and body["preview"][0]["status"] == "in_review"
    assert not Ticket.objects.filter(project=project).exists() and not ImportJob.objects.exists()
    assert not AuditEntry.objects.exists()  # a preview writes nothing, so nothing to audit


def test_api_import_queues_a_job_that_imports_and_a_second_one_creates_nothing(
    ml, api, django_capture_on_commit_callbacks
):
    project, admin = ml
    client = api.as_user(admin)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/api/v1/projects/ML/imports/jira/", {"file": upload(fixture_bytes())}, format="multipart")
    assert answer.status_code == 202, answer.content
    job = client.get(f"/api/v1/imports/{answer.json()['id']}/").json()
    assert (job["status"], job["created"], job["updated"], job["processed"], job["total"]) == ("done", 49, 0, 49, 49)
    entry = AuditEntry.objects.get()  # the request that started the import, by whom, through the API
    assert (entry.user, entry.project_key, entry.via_api, entry.status_code) == (admin, "ML", True, 202)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/api/v1/projects/ML/imports/jira/", {"file": upload(fixture_bytes())}, format="multipart")
    job = client.get(f"/api/v1/imports/{again.json()['id']}/").json()
    assert (job["status"], job["created"], job["updated"]) == ("done", 0, 0)
    assert Ticket.objects.filter(project=project).count() == 49


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV"),
        (b"Issue key,Status\nML-1,Done\n", "No Summary column"),
        (b"Summary,Issue key\n", "no issue rows"),
        (b"Summary,Status\nA thing,Done\n", "Issue key"),
        (b'Summary,Issue key,Description\nA,ML-1,"never closed\n', "malformed"),
    ],
)
def test_api_refuses_a_malformed_file_with_the_reason(ml, api, data, reason):
    _, admin = ml
    answer = api.as_user(admin).post(
        "/api/v1/projects/ML/imports/jira/", {"file": upload(data), "dry_run": "true"}, format="multipart"
    )
    assert answer.status_code == 400 and reason in answer.json()["file"][0], answer.content
    answer = api.as_user(admin).post("/api/v1/projects/ML/imports/jira/", {"file": upload(data)}, format="multipart")
    assert answer.status_code == 400 and not ImportJob.objects.exists()


def test_api_refuses_a_file_too_big_and_a_missing_file(ml, api, settings):
    _, admin = ml
    settings.AIHUB_JIRA_IMPORT_MAX_BYTES = 10_000
    answer = api.as_user(admin).post(
        "/api/v1/projects/ML/imports/jira/", {"file": upload(fixture_bytes())}, format="multipart"
    )
    assert answer.status_code == 400 and "at most 10 KB" in answer.json()["file"][0], answer.content
    assert api.as_user(admin).post("/api/v1/projects/ML/imports/jira/", {}, format="multipart").status_code == 400


def test_api_admins_only(ml, api):
    project, _ = ml
    for role, expected in ((Role.MEMBER, 403), (Role.VIEWER, 403)):
        user = MembershipFactory(project=project, role=role).user
        answer = api.as_user(user).post(
            "/api/v1/projects/ML/imports/jira/",
            {"file": upload(fixture_bytes()), "dry_run": "true"},
            format="multipart",
        )
        assert answer.status_code == expected
    outsider = UserFactory()
    answer = api.as_user(outsider).post(
        "/api/v1/projects/ML/imports/jira/", {"file": upload(fixture_bytes()), "dry_run": "true"}, format="multipart"
    )
    assert answer.status_code == 404


# --- the page -----------------------------------------------------------------------------------


def test_page_upload_preview_start_and_follow_the_job(ml, client, django_capture_on_commit_callbacks):
    project, admin = ml
    client.force_login(admin)
    url = reverse("jira_import:page", args=["ML"])
    settings_page = client.get(reverse("projects:settings", args=["ML"]))
    assert url in settings_page.content.decode()
    page = client.post(url, {"action": "preview", "file": upload(fixture_bytes(), "export.csv")})
    html = page.content.decode()
    assert page.status_code == 200 and "Preview of export.csv" in html and "Unknown Contractor" in html
    assert "Évaluer le modèle sur le jeu de test gelé" in html and not Ticket.objects.filter(project=project).exists()
    token = page.context["token"]
    # Override one status and drop one column, then start.
    statuses = {s["jira"]: i for i, s in enumerate(page.context["preview"]["statuses"], start=1)}
    choices = {"token": token, "unknown_columns": "keep", "keep_column": ["Custom field (Team)"]}
    choices.update({f"status_name__{i}": name for name, i in statuses.items()})
    choices[f"status__{statuses['Code Review']}"] = "in_review"
    again = client.post(url, {**choices, "action": "preview_again"})
    assert [s["to"] for s in again.context["preview"]["statuses"] if s["jira"] == "Code Review"] == ["in_review"]
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url, {**choices, "action": "start"})
    job = ImportJob.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse("jira_import:job", args=["ML", job.pk])
    assert (job.status, job.created, job.options["status_map"]["Code Review"]) == ("done", 49, "in_review")
    assert Ticket.objects.get(project=project, external_ref="ML-52").status.slug == "in_review"
    assert list(CustomField.objects.filter(project=project).values_list("key", flat=True)) == ["jira_team"]
    partial = client.get(started["Location"], headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert '<section class="card" id="import-progress"' in body and "<html" not in body
    assert "hx-trigger" not in body and "49</strong> tickets created" in body
    # The previewed upload is gone once imported; starting again with its token is refused.
    repeat = client.post(url, {**choices, "action": "start"})
    assert "upload it again" in repeat.content.decode() and ImportJob.objects.count() == 1


def test_page_a_bad_file_shows_the_reason_and_a_running_job_polls(ml, client):
    project, admin = ml
    client.force_login(admin)
    url = reverse("jira_import:page", args=["ML"])
    page = client.post(url, {"action": "preview", "file": upload(b"Issue key,Status\nML-1,Done\n")})
    assert page.status_code == 200 and "No Summary column" in page.content.decode()
    job = ImportJob(project=project, kind="jira", status="running", total=100, processed=40, created_by=admin)
    job.file.save("jira.csv", ContentFile(b"Summary\n"), save=False)
    job.save()
    running = client.get(reverse("jira_import:job", args=["ML", job.pk]), headers={"HX-Request": "true"})
    body = running.content.decode()
    assert 'hx-trigger="every 1s"' in body and "40 of 100 rows" in body


def test_page_admins_only(ml, client):
    project, _ = ml
    url = reverse("jira_import:page", args=["ML"])
    member = MembershipFactory(project=project, role=Role.MEMBER).user
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "preview", "file": upload(fixture_bytes())}).status_code == 403
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("jobs", [1, 8])
def test_page_query_budget(ml, client, jobs, django_assert_max_num_queries):
    project, admin = ml
    for _ in range(jobs):
        job = ImportJob(project=project, kind="jira", status="done", total=3, created_by=admin, file_name="x.csv")
        job.file.save("jira.csv", ContentFile(b"Summary\n"), save=False)
        job.save()
    client.force_login(admin)
    url = reverse("jira_import:page", args=["ML"])
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):  # the page's 6 and the preview's plan (jira_plan)
        assert client.post(url, {"action": "preview", "file": upload(fixture_bytes())}).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("jira_import:job", args=["ML", job.pk])).status_code == 200

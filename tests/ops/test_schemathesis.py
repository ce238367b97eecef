"""Every operation of the OpenAPI document, fuzzed over real HTTP by schemathesis.

The app is served by pytest-django's live server (a real HTTP server on a loopback port, in
this process, so Celery runs eagerly) on a PostgreSQL test database seeded with the demo
workspace (`seed_demo`: projects with tickets in every status, sprints, docs, MLflow runs,
gates, risks, milestones, webhooks) and a few objects the demo lacks. A member of its own
(an admin of the CV project, so that admin-only operations are reached too; the role
matrices are in each endpoint's tests) calls `/api/schema/` and then every operation in it
with a bearer token. Path parameters are mostly drawn from the seeded objects (the CV
project, its tickets, docs, sprints...), so the generated bodies reach the real code instead
of a 404.

It fails on any 5xx, on a status code the document does not list, on a content type or a
header it does not declare and on a body that does not match the declared response schema;
each failing operation is a subtest with a curl line to reproduce it. Bounded and
reproducible: a fixed seed, derandomized Hypothesis, MAX_EXAMPLES generated examples per
operation plus the coverage phase's invalid values (every field's type, bounds, formats,
missing required ones, unexpected methods).

Run it alone (`-s` prints the requests and seconds per operation, the dearest first):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub .venv/bin/python -m pytest \
        tests/ops/test_schemathesis.py -p no:cacheprovider -s
AIHUB_FUZZ_EXAMPLES=N changes the examples per operation, AIHUB_FUZZ_SEED the seed and
AIHUB_FUZZ_COVERAGE=all|negative|off the coverage phase."""

import io
import os
import time

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management import call_command
from hypothesis import HealthCheck, settings

from accounts.services import api_token_create
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres]

MAX_EXAMPLES = int(os.environ.get("AIHUB_FUZZ_EXAMPLES", "4"))
SEED = int(os.environ.get("AIHUB_FUZZ_SEED", "20261203"))
# The coverage phase's cases: "negative" (invalid values, the default), "all" (valid
# boundaries too: about 7,600 requests, three times as long) or "off".
COVERAGE = os.environ.get("AIHUB_FUZZ_COVERAGE", "negative")
KEY = "CV"  # the demo's computer-vision project
FUZZ_USERNAME = "fuzz-admin"
DOOMED_KEY = "DOOMED"

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]

# Operations left out, {operation id: reason}. None now: the ones that would end the run get
# data of their own instead (DELETE /projects/{key}/ a project of its own, token revocation a
# spare token, member removal other members). Alertmanager's receiver is not in the document
# (it takes the intake's token, not a user's; tests/integrations/ posts real payloads to it).
EXCLUDED_OPERATIONS: dict[str, str] = {}


def _seeded_values(user, spare_token_id):
    """Path parameters of objects that exist in the seeded workspace (CV project)."""
    from docs_hub.models import Doc, DocAttachment, DocTemplate
    from experiments.models import MetricGate, MlflowSource, Run, Target
    from integrations.models import Delivery, Webhook
    from projects.models import (
        Comment,
        CustomField,
        ExitCriterion,
        Membership,
        Milestone,
        ProjectTemplate,
        Risk,
        SavedView,
        Sprint,
        Ticket,
        TicketRelation,
        WorkflowStatus,
    )

    def ids(queryset, field="id"):
        values = list(queryset.order_by(field).values_list(field, flat=True)[:20])
        return values or [1]

    return {
        "key": [KEY],
        "ticket_key": ids(Ticket.objects.filter(project__key=KEY), "key"),
        # Doc slugs and workflow status slugs share the name.
        "slug": ids(Doc.objects.filter(project__key=KEY), "slug")
        + ids(WorkflowStatus.objects.filter(project__key=KEY), "slug"),
        "sprint_id": ids(Sprint.objects.filter(project__key=KEY)),
        "risk_id": ids(Risk.objects.filter(project__key=KEY)),
        "milestone_id": ids(Milestone.objects.filter(project__key=KEY)),
        "criterion_id": ids(ExitCriterion.objects.filter(project__key=KEY)),
        "view_id": ids(SavedView.objects.filter(project__key=KEY)),
        "field_key": ids(CustomField.objects.filter(project__key=KEY), "key"),
        "source_id": ids(MlflowSource.objects.filter(project__key=KEY)),
        "target_id": ids(Target.objects.filter(project__key=KEY)),
        "gate_id": ids(MetricGate.objects.filter(ticket__project__key=KEY)),
        "run_id": ids(Run.objects.filter(project__key=KEY), "run_id"),
        "webhook_id": ids(Webhook.objects.filter(project__key=KEY)),
        "delivery_id": ids(Delivery.objects.filter(webhook__project__key=KEY)),
        "comment_id": ids(Comment.objects.filter(ticket__project__key=KEY)),
        "relation_id": ids(TicketRelation.objects.filter(source__project__key=KEY)),
        "doc_id": ids(Doc.objects.filter(project__key=KEY, deleted_at__isnull=False)),
        "attachment_id": ids(DocAttachment.objects.filter(doc__project__key=KEY)),
        "template_slug": ids(DocTemplate.objects.filter(project__key=KEY), "slug"),
        "template_id": ids(ProjectTemplate.objects.filter(source_project__key=KEY)),
        # Other members only: the fuzz user removing itself would leave the project (404s after).
        "username": ids(Membership.objects.filter(project__key=KEY).exclude(user=user), "user__username"),
        # A spare token of the fuzz user: revoking the one it calls with would end the run (401s).
        "token_id": [spare_token_id],
    }


def _seed_extras(project, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from docs_hub import services as doc_services
    from docs_hub.models import Doc
    from projects import services as project_services

    docs = list(Doc.objects.filter(project=project, deleted_at__isnull=True).order_by("id")[:2])
    doc_services.attachment_add(
        doc=docs[0], uploaded_file=SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"), user=user
    )
    trashed = doc_services.doc_create(project=project, author=user, title="Old notes", body="gone")
    doc_services.doc_trash(doc=trashed, user=user)
    doc_services.doc_template_create(project=project, name="Weekly sync", body="## Notes", created_by=user)
    project_services.project_template_save(project=project, user=user, name="CV structure")


@pytest.fixture
def api_schema(transactional_db, live_server, settings, tmp_path):
    require_postgres()
    settings.DOCS_ATTACHMENT_ROOT = tmp_path / "attachments"
    from projects import services as project_services
    from projects.models import Project, Role

    call_command("seed_demo", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=FUZZ_USERNAME, password="unused-" + "x" * 20)
    project = Project.objects.get(key=KEY)
    project_services.membership_add(project=project, user=user, role=Role.ADMIN, added_by=None)
    _, token = api_token_create(user=user, name="schemathesis")
    spare, _ = api_token_create(user=user, name="spare")
    # Objects the demo lacks: a trashed page, an attachment, a saved project template.
    _seed_extras(project, user)
    # A project of its own for DELETE /api/v1/projects/{key}/, which would take CV with it.
    doomed = project_services.project_create(creator=user, key=DOOMED_KEY, name="Deleted by the fuzzer")

    values = _seeded_values(user, spare.pk)
    dictionaries = {name: {"values": [str(v) for v in vs]} for name, vs in values.items()}
    parameters = {"path.key": KEY}
    for name in dictionaries:
        if name not in ("key", "token_id"):
            # Mostly a real object; sometimes whatever Hypothesis makes (a 404 must stay a 404).
            parameters[f"path.{name}"] = {"dictionary": name, "probability": 0.9}
    parameters["path.token_id"] = {"dictionary": "token_id", "probability": 1.0}
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "dictionaries": dictionaries,
            "parameters": parameters,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "mode": "all"},
            "phases": {
                "stateful": {"enabled": False},
                # Every boundary and invalid value of every field, not bounded by max-examples:
                # the invalid ones are the inputs that used to answer 500.
                "coverage": {"enabled": False}
                if COVERAGE == "off"
                else {"enabled": True, "generation": {"mode": COVERAGE}},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "operations": [{"include-operation-id": "projects_destroy", "parameters": {"path.key": doomed.key}}],
        }
    )
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json",
        config=config,
        headers={"Authorization": f"Bearer {token}"},
    )
    return schema.exclude(operation_id=sorted(EXCLUDED_OPERATIONS)) if EXCLUDED_OPERATIONS else schema


# schemathesis 4.32's lazy loader renames the running test through `Function._nodeid`, which
# pytest 9.2 no longer has (it keeps a structured `_id`): give it a name it may set and
# ignore, so each operation is still reported as a subtest with its method and path.
if not hasattr(pytest.Function, "_nodeid"):
    pytest.Function._nodeid = property(lambda node: node.nodeid, lambda node, value: None)

schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented(case, live_server):
    cache.clear()  # throttle counters: the run sends far more than a user's minute allows
    started = time.monotonic()
    try:
        case.call_and_validate(base_url=live_server.url)
    finally:
        spent = TIMINGS.setdefault(case.operation.label, [0, 0.0])
        spent[0] += 1
        spent[1] += time.monotonic() - started


TIMINGS: dict[str, list] = {}


@pytest.fixture(autouse=True, scope="module")
def _report_timings():
    """With -s: the requests sent and seconds spent per operation, the dearest first."""
    yield
    total = sum(n for n, _ in TIMINGS.values())
    print(f"\nschemathesis: {total} requests over {len(TIMINGS)} operations")
    for label, (n, seconds) in sorted(TIMINGS.items(), key=lambda item: -item[1][1])[:15]:
        print(f"  {seconds:6.1f} s {n:4d} requests  {label}")

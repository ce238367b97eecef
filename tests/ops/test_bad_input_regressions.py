"""Inputs that once answered 500 (found by schemathesis against a live gunicorn)."""

import io

import pytest
from django.core.management import call_command

from projects.models import Project, Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_deleting_a_populated_project_answers_204(api):
    # The demo workspace: tickets in every status, sub-tasks, relations, comments, sprints,
    # docs that mention tickets, MLflow runs linked to tickets with gates.
    call_command("seed_demo", stdout=io.StringIO())
    admin = UserFactory()
    MembershipFactory(project=Project.objects.get(key="CV"), user=admin, role=Role.ADMIN)
    assert api.as_user(admin).delete("/api/v1/projects/CV/").status_code == 204
    assert not Project.objects.filter(key="CV").exists()
    assert Project.objects.filter(key="CHURN").exists()


def test_a_saved_view_without_filters_is_created(api):
    member = MembershipFactory(role=Role.MEMBER)
    response = api.as_user(member.user).post(
        f"/api/v1/projects/{member.project.key}/views/", {"name": "Mine"}, format="json"
    )
    assert response.status_code == 201 and response.json()["filters"] == {}


def test_the_report_time_is_a_clock_time_the_schema_describes(api):
    # Served as "09:00:00" against `format: time` (RFC 3339: needs a UTC offset): schemathesis
    # ST108 on every project answer. Now documented by a pattern; "HH:MM" is read too.
    import re

    from rest_framework.test import APIClient

    admin = MembershipFactory(role=Role.ADMIN)
    client = api.as_user(admin.user)
    url = f"/api/v1/projects/{admin.project.key}/"
    schema = APIClient().get("/api/schema/?format=json").json()
    field = schema["components"]["schemas"]["Project"]["properties"]["status_report_time"]
    served = client.get(url).json()["status_report_time"]
    assert served == "09:00:00" and "format" not in field and re.fullmatch(field["pattern"], served)
    assert client.patch(url, {"status_report_time": "07:05"}, format="json").json()["status_report_time"] == "07:05:00"
    assert client.patch(url, {"status_report_time": "25:00"}, format="json").status_code == 400


def test_status_reports_list_is_documented_as_the_list_it_is(api):
    # Answered a plain list while the document promised a page ({"count", "results"}):
    # schemathesis ST108 on GET /api/v1/projects/{key}/status-reports/.
    from rest_framework.test import APIClient

    viewer = MembershipFactory(role=Role.VIEWER)
    answer = api.as_user(viewer.user).get(f"/api/v1/projects/{viewer.project.key}/status-reports/")
    assert answer.status_code == 200 and answer.json() == []
    schema = APIClient().get("/api/schema/?format=json").json()
    ok = schema["paths"]["/api/v1/projects/{key}/status-reports/"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["type"] == "array"


def test_sentinel_options_and_an_unset_regression_ticket(api):
    # OPTIONS answered 500 (DRF describes PUT through get_object, which needed a queryset),
    # and PUT answered `regression_ticket: null` against a non-nullable string (ST101, ST108).
    admin = MembershipFactory(role=Role.ADMIN)
    client = api.as_user(admin.user)
    url = f"/api/v1/projects/{admin.project.key}/sentinel/"
    assert client.options(url).status_code == 200
    answer = client.put(url, {"metric": "f1", "model_name": "m"}, format="json")
    assert answer.status_code == 200 and answer.json()["regression_ticket"] is None
    assert client.options(url).status_code == 200
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Sentinel"]["properties"]["regression_ticket"]["nullable"] is True

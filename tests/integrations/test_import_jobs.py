"""GET /api/v1/imports/{id}/: an import's progress, readable by whoever started it and by
the admins of the project it writes to; anyone else gets 404."""

import pytest
from django.core.files.base import ContentFile

from integrations.models import ImportJob
from projects.models import Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def make_job(**fields) -> ImportJob:
    fields = {"kind": ImportJob.Kind.JIRA, "file_name": "jira.csv", "total": 10, "processed": 4, "created": 3, **fields}
    job = ImportJob(**fields)
    job.file.save("jira.csv", ContentFile(b"Summary\n"), save=False)
    job.save()
    return job


def test_the_starter_and_project_admins_follow_a_job_others_get_404(api):
    project = ProjectFactory(key="IMP")
    starter = MembershipFactory(project=project, role=Role.MEMBER).user
    admin = MembershipFactory(project=project, role=Role.ADMIN).user
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    job = make_job(project=project, created_by=starter, status=ImportJob.Status.RUNNING)

    for user in (starter, admin):
        answer = api.as_user(user).get(f"/api/v1/imports/{job.pk}/")
        assert answer.status_code == 200
        body = answer.json()
        assert (body["status"], body["project"], body["processed"], body["total"], body["created"]) == (
            "running",
            "IMP",
            4,
            10,
            3,
        )
    for user in (viewer, UserFactory()):
        assert api.as_user(user).get(f"/api/v1/imports/{job.pk}/").status_code == 404


def test_a_project_archive_job_has_no_project_until_it_made_one(api):
    starter = UserFactory()
    job = make_job(created_by=starter, kind=ImportJob.Kind.PROJECT)
    body = api.as_user(starter).get(f"/api/v1/imports/{job.pk}/").json()
    assert body["project"] is None and body["kind"] == "project" and body["status"] == "queued"

"""A Celery task on a real worker with Redis: inviting someone sends them an e-mail."""

import time

import pytest

from projects import services
from projects.models import Role
from tests.projects.factories import MembershipFactory, ProjectFactory


@pytest.mark.celery_worker
def test_invitation_email_is_sent_by_a_real_worker(celery_worker_process):
    project = ProjectFactory(name="Fraud detection")
    inviter = MembershipFactory(project=project, role=Role.ADMIN).user
    services.membership_invite(
        project=project, inviter=inviter, role=Role.MEMBER, email="newcomer@example.com", base_url="http://aihub.test"
    )
    mail_dir = celery_worker_process["mail_dir"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (mail_dir.exists() and any(mail_dir.iterdir())):
        time.sleep(0.2)
    assert mail_dir.exists() and any(mail_dir.iterdir()), celery_worker_process["log"].read_text()[-3000:]
    message = next(mail_dir.iterdir()).read_text()
    assert "newcomer@example.com" in message and "Fraud detection" in message
    assert "http://aihub.test/accounts/reset/" in message

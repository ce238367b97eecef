"""Everything the projects app hands to Celery, in one place. Each function is called by a
service inside its transaction and enqueues only once that transaction commits (no task
ever looks for a row that is not there yet); when the broker is down the work runs here
(aihub.queueing.enqueue_or_run_here)."""

from django.db import transaction

from accounts.tasks import send_invitation_email
from aihub.queueing import enqueue_or_run_here


def invitation_email(*, user_id: int, project_name: str, inviter_name: str, base_url: str) -> None:
    """Tell a user they were added to a project (with a link to set a password if needed)."""
    transaction.on_commit(
        lambda: enqueue_or_run_here(send_invitation_email, user_id, project_name, inviter_name, base_url)
    )

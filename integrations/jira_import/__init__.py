"""Jira CSV import: the preview (reads only) and the import itself (bulk writes, run by a
Celery task), idempotent by `Ticket.external_ref` (the Jira key).

`jira_preview` says what an import would do and writes nothing. `jira_import_start` checks
the file, records an ImportJob and queues `integrations.tasks.run_jira_import` once the
request commits. `jira_import_run` (the task's body) claims the job and writes everything in
one transaction with the project row locked: labels, sprints and custom fields first, then
tickets by batches of 1,000 (created or, when their Jira key is already imported, updated
where they differ), their labels and comments (never twice), then the epic/parent links.
Progress (`processed`) is written through a second connection, so a page follows it while
the transaction is open; a failure leaves nothing half-written.
"""

from ..jira_csv import JiraCsvError, parse_jira_csv  # noqa: F401
from .jobs import RUN_TASK, import_jobs_recent, jira_import_run, jira_import_start  # noqa: F401
from .preview import (  # noqa: F401
    Plan,
    jira_file_read,
    jira_options_clean,
    jira_plan,
    jira_preview,
    max_bytes,
    max_rows,
    pending_upload_open,
    pending_upload_store,
)
from .text import plain_paragraphs  # noqa: F401
from .writer import BATCH, jira_apply  # noqa: F401

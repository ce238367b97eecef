"""A whole project as one zip archive, and back (issue 14, item 5).

`project_export(project) -> bytes` writes it; `import_start(...)` checks an upload and queues
its import job, which `import_run(job_id)` (a Celery task) carries out with
`project_import(...)` in one transaction. The format is described in format.py and export.py."""

from .export import project_export  # noqa: F401
from .format import FORMAT, FORMAT_VERSION, ArchiveError, archive_open  # noqa: F401
from .importer import key_check, project_import  # noqa: F401
from .jobs import import_run, import_start  # noqa: F401

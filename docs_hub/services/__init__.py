"""Writes for docs, split by purpose. Import from here: `from docs_hub import services`."""

from .attachments import attachment_add, attachment_delete  # noqa: F401
from .docs import (  # noqa: F401
    doc_create,
    doc_move,
    doc_purge,
    doc_rerender,
    doc_restore,
    doc_revision_restore,
    doc_shift,
    doc_trash,
    doc_update,
)
from .importing import markdown_import_apply, markdown_import_preview  # noqa: F401
from .markdown_zip import plan_zip  # noqa: F401
from .reports import status_report_generate, status_reports_dispatch_due  # noqa: F401
from .templates import doc_template_create, doc_template_delete  # noqa: F401

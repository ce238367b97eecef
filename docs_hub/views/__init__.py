"""Pages of the docs hub, split by purpose."""

from .attachments import attachment_delete, attachment_download, attachment_upload  # noqa: F401
from .fragments import hub_section, ticket_panel  # noqa: F401
from .pages import (  # noqa: F401
    doc_create,
    doc_detail,
    doc_diff,
    doc_edit,
    doc_history,
    doc_index,
    doc_preview,
    doc_revision,
    doc_revision_restore,
)
from .reports import report_generate, reports_section  # noqa: F401
from .search import search_page  # noqa: F401
from .tree import (  # noqa: F401
    doc_delete,
    doc_export_markdown,
    doc_export_tree,
    doc_move,
    doc_purge,
    doc_restore,
    doc_shift,
    doc_template_delete,
    doc_templates,
    doc_trash,
    docs_export_all,
)

"""Reads for docs, split by purpose. Import from here: `from docs_hub import selectors`.
Each function costs a fixed number of queries, whatever the number of docs, links or revisions."""

from .backlinks import (  # noqa: F401
    doc_backlinks,
    doc_backlinks_for_tickets,
    doc_outgoing_links,
    docs_mentioning_ticket,
    linking_sources,
)
from .docs import (  # noqa: F401
    TREE_BUDGET,
    TREE_CAP,
    TreeNode,
    TreeRow,
    doc_attachments,
    doc_by_slug,
    doc_counts,
    doc_current_html,
    doc_list,
    doc_tree,
    docs_current_html,
    flatten_tree,
    recent_docs,
    subtree_ids,
    trash_list,
    tree_ancestors,
    tree_rows,
)
from .reports import (  # noqa: F401
    latest_status_report,
    projects_due_for_report,
    status_report_figures,
    status_reports,
    status_reports_parent,
)
from .revisions import (  # noqa: F401
    DiffLine,
    doc_revisions,
    revision_diff,
    revision_get,
    revision_html,
)
from .templates import (  # noqa: F401
    template_catalog,
    template_get,
)

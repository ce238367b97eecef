"""Pages of the projects app, split by purpose."""

from .board import board, board_column_more, board_quick_create, board_summary, project_live  # noqa: F401
from .dashboard import project_dashboard  # noqa: F401
from .projects import (  # noqa: F401
    member_change_role,
    member_remove,
    project_create,
    project_delete,
    project_hub,
    project_leave,
    project_list,
    project_members,
    project_settings,
)

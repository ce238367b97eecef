"""Pages of the projects app, split by purpose."""
from .projects import (  # noqa: F401
    member_change_role,
    member_remove,
    project_create,
    project_delete,
    project_hub,
    project_list,
    project_members,
    project_settings,
)

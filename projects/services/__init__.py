"""Writes for the projects app, split by purpose. Import from here:
`from projects import services; services.ticket_create(...)`."""
from .projects import (  # noqa: F401
    PROJECT_EDITABLE_FIELDS,
    membership_add,
    membership_change_role,
    membership_invite,
    membership_remove,
    project_create,
    project_delete,
    project_update,
)
from .tickets import ticket_create, ticket_event_record  # noqa: F401
from .board import project_ranks_rebalance, ticket_move  # noqa: F401

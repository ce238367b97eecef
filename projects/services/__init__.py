"""Writes for the projects app, split by purpose. Import from here:
`from projects import services; services.ticket_create(...)`."""

from ..events import ticket_event_record  # noqa: F401  (other apps record history lines)
from ..ranking import project_ranks_rebalance  # noqa: F401
from .backlog import ticket_rank  # noqa: F401
from .board import ticket_move  # noqa: F401
from .comments import comment_create, comment_delete, comment_update, notifications_mark_read  # noqa: F401
from .fields import (  # noqa: F401
    custom_field_create,
    custom_field_delete,
    custom_field_update,
    custom_field_values_clean,
)
from .lifecycle import (  # noqa: F401
    MILESTONE_EDITABLE_FIELDS,
    PhaseCriteriaUnmet,
    exit_criteria_create,
    exit_criterion_create,
    exit_criterion_delete,
    exit_criterion_tick,
    exit_criterion_update,
    milestone_create,
    milestone_delete,
    milestone_update,
    phase_advance,
)
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
from .relations import RELATION_CHOICES, relation_add, relation_remove  # noqa: F401
from .risks import (  # noqa: F401
    RISK_EDITABLE_FIELDS,
    risk_close,
    risk_create,
    risk_delete,
    risk_update,
)
from .saved_views import SAVED_FILTER_KEYS, saved_view_create, saved_view_delete  # noqa: F401
from .sprints import (  # noqa: F401
    sprint_add_tickets,
    sprint_complete,
    sprint_create,
    sprint_delete,
    sprint_start,
    sprint_update,
    tickets_change_sprint,
)
from .templates import project_template_delete, project_template_save  # noqa: F401
from .tickets import (  # noqa: F401
    TICKET_EDITABLE_FIELDS,
    ticket_create,
    ticket_delete,
    ticket_update,
    tickets_bulk_update,
)
from .workflow import status_add, status_delete, status_move, status_update, statuses_reorder  # noqa: F401

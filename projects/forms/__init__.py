"""Forms of the projects app, split by purpose (projects and members, board, ticket page,
planning pages). Import from here: `from ..forms import TicketForm`."""

from .board import QuickCreateForm  # noqa: F401
from .planning import (  # noqa: F401
    CustomFieldForm,
    InlineCreateForm,
    SavedViewForm,
    SprintCompleteForm,
    SprintForm,
    StatusForm,
)
from .projects import PHASES, InviteForm, ProjectForm, ProjectSettingsForm, RoleForm, SaveTemplateForm  # noqa: F401
from .risks import RiskForm, risk_initial  # noqa: F401
from .tickets import (  # noqa: F401
    CommentForm,
    RelationForm,
    SubtaskForm,
    TicketForm,
    custom_form_field,
    field_edit_form,
    field_service_kwargs,
)

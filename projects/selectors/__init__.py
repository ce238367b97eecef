"""Reads for the projects app, split by purpose (projects, tickets, board, sprints...)."""

from .board import (  # noqa: F401
    COLUMN_PAGE_SIZE,
    BoardFilters,
    active_sprint,
    board_columns,
    board_filter_choices,
    board_sprints,
    board_summary,
    column_cards,
)
from .dashboard import project_dashboard  # noqa: F401
from .forecast import ForecastScope, forecast_epics, project_forecast  # noqa: F401
from .health import project_health, projects_health  # noqa: F401
from .lifecycle import (  # noqa: F401
    PhaseChecklist,
    epic_choices,
    exit_criteria_list,
    milestone_for_page,
    milestone_list,
    next_milestones,
    phase_progress,
    phase_transitions,
)
from .portfolio import DEFAULT_PORTFOLIO_SORT, PORTFOLIO_SORTS, parse_portfolio_sort, portfolio_rows  # noqa: F401
from .projects import header_navigation, project_list, project_members, project_switcher  # noqa: F401
from .risks import (  # noqa: F401
    RISK_SORTS,
    RiskFilters,
    open_high_risks,
    risk_for_page,
    risk_heatmap,
    risk_list,
    ticket_risks,
)
from .roadmap import roadmap  # noqa: F401
from .sprints import (  # noqa: F401
    planning_sprints,
    project_velocity,
    sprint_burndown,
    sprint_list,
    sprint_points,
    sprint_summaries,
    sprint_tickets,
)
from .templates import (  # noqa: F401
    project_structure,
    project_template_data,
    project_templates_for,
    saved_templates_for,
)
from .tickets import (  # noqa: F401
    TICKET_ORDERINGS,
    TicketFilters,
    backlinks_by_ticket,
    backlog_choices,
    backlog_tickets,
    epic_progress,
    notifications_for,
    saved_views_for,
    ticket_children,
    ticket_choices,
    ticket_comments,
    ticket_filter,
    ticket_for_page,
    ticket_history,
    ticket_last_changed_by,
    ticket_list,
    ticket_relations,
    unread_notification_count,
)

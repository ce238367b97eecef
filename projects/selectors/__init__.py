"""Reads for the projects app, split by purpose (projects, tickets, board, sprints...)."""
from .projects import project_list, project_members, project_switcher  # noqa: F401
from .board import (  # noqa: F401
    BoardFilters,
    active_sprint,
    board_columns,
    board_filter_choices,
    board_sprints,
    board_summary,
    column_cards,
)

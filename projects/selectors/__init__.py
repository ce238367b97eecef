"""Reads for the projects app, split by purpose (projects, tickets, board, sprints...)."""
from .projects import project_list, project_members, project_switcher  # noqa: F401

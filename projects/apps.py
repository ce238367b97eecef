from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and planning"

    def ready(self):
        from . import hooks

        hooks.register_project_tab(name="overview", label="Overview", url_name="projects:hub", order=0)
        hooks.register_project_tab(name="members", label="Members", url_name="projects:members", order=80)
        hooks.register_project_tab(
            name="settings", label="Settings", url_name="projects:settings", order=90, admin_only=True
        )
        hooks.register_project_tab(
            name="board", label="Board", url_name="projects:board", order=10, match=("projects:board",)
        )
        hooks.register_hub_section(name="board", title="Board", url_name="projects:board_summary", order=10)
        hooks.register_hub_section(name="dashboard", title="Dashboard", url_name="projects:dashboard", order=5)
        hooks.register_project_tab(
            name="backlog",
            label="Backlog",
            url_name="projects:backlog",
            order=20,
            match=("projects:backlog", "projects:ticket", "projects:ticket_create"),
        )
        hooks.register_project_tab(
            name="sprints",
            label="Sprints",
            url_name="projects:sprints",
            order=30,
            match=("projects:sprints", "projects:sprint", "projects:sprint_edit"),
        )
        hooks.register_project_tab(
            name="workflow",
            label="Workflow",
            url_name="projects:workflow",
            order=85,
            match=("projects:workflow", "projects:custom_fields"),
            admin_only=True,
        )
        hooks.register_project_tab(
            name="risks",
            label="Risks",
            url_name="projects:risks",
            order=60,
            match=("projects:risks", "projects:risk", "projects:risk_create", "projects:risk_edit"),
        )
        hooks.register_ticket_panel(name="risks", title="Risks", url_name="projects:ticket_risks", order=90)
        # The lifecycle (issue 13, item 6): the hub's section and the Roadmap tab.
        hooks.register_hub_section(name="lifecycle", title="Lifecycle", url_name="projects:lifecycle", order=8)
        hooks.register_project_tab(
            name="roadmap",
            label="Roadmap",
            url_name="projects:roadmap",
            order=35,
            match=("projects:roadmap", "projects:milestone_create", "projects:milestone_edit"),
        )
        from .demo import seed_lifecycle_demo

        hooks.register_demo_seeder(name="lifecycle", seeder=seed_lifecycle_demo, order=13)
        # The flow charts of the dashboard (issue 13): each an htmx section of its own.
        hooks.register_dashboard_section(
            name="flow", title="Cumulative flow", url_name="projects:flow_section", order=20
        )
        hooks.register_dashboard_section(
            name="cycle_time", title="Cycle time", url_name="projects:cycle_time_section", order=30
        )
        from .demo import seed_flow_demo, seed_planning_demo, seed_risks_demo

        hooks.register_demo_seeder(name="planning", seeder=seed_planning_demo, order=10)
        hooks.register_demo_seeder(name="risks", seeder=seed_risks_demo, order=11)
        hooks.register_demo_seeder(name="flow", seeder=seed_flow_demo, order=12)
        from .demo_health import seed_health_demo

        hooks.register_demo_seeder(name="health", seeder=seed_health_demo, order=14)
        from .demo_templates import seed_template_demo

        hooks.register_demo_seeder(name="templates", seeder=seed_template_demo, order=15)
        from .demo_audit import seed_audit_demo

        hooks.register_demo_seeder(name="audit", seeder=seed_audit_demo, order=16)

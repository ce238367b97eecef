from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and planning"

    def ready(self):
        from . import hooks

        hooks.register_project_tab(name="overview", label="Overview", url_name="projects:hub", order=0)
        hooks.register_project_tab(name="members", label="Members", url_name="projects:members", order=80)
        hooks.register_project_tab(name="settings", label="Settings", url_name="projects:settings", order=90,
                                     admin_only=True)
        hooks.register_project_tab(name="board", label="Board", url_name="projects:board", order=10,
                                   match=("projects:board",))
        hooks.register_hub_section(name="board", title="Board", url_name="projects:board_summary", order=10)

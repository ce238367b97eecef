from django.apps import AppConfig


class DocsHubConfig(AppConfig):
    name = "docs_hub"
    verbose_name = "Docs hub"

    def ready(self):
        from projects import hooks

        from . import (
            macros,  # noqa: F401  (built-in macro resolvers)
            tasks,  # noqa: F401  (registers the task names queue.py sends)
        )
        from .demo import seed_demo_docs, seed_demo_status_report
        from .search import builtin  # noqa: F401  (built-in search providers)
        from .selectors import doc_backlinks_for_tickets

        hooks.register_project_tab(
            name="docs",
            label="Docs",
            url_name="docs_hub:index",
            order=40,
            match=(
                "docs_hub:index",
                "docs_hub:detail",
                "docs_hub:edit",
                "docs_hub:create",
                "docs_hub:history",
                "docs_hub:revision",
                "docs_hub:diff",
                "docs_hub:move",
                "docs_hub:trash",
                "docs_hub:templates",
            ),
        )
        hooks.register_hub_section(name="docs", title="Docs", url_name="docs_hub:hub_section", order=40)
        hooks.register_ticket_panel(
            name="docs", title="Docs that mention this ticket", url_name="docs_hub:ticket_panel", order=40
        )
        hooks.register_backlink_provider(doc_backlinks_for_tickets)
        hooks.register_demo_seeder(name="docs", seeder=seed_demo_docs, order=20)
        hooks.register_dashboard_section(
            name="status-reports", title="Status reports", url_name="docs_hub:reports_section", order=80
        )
        # Last: a report shows what the other seeders made (runs, targets, risks, sprints).
        hooks.register_demo_seeder(name="status report", seeder=seed_demo_status_report, order=90)
        from .project_templates import apply_template_docs, capture_template_docs

        hooks.register_template_part(apply_template_docs, capture=capture_template_docs, name="docs")

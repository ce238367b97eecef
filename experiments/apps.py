from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "experiments"
    verbose_name = "Experiments (MLflow)"

    def ready(self):
        from aihub import observability
        from projects import hooks

        from . import (
            demo,
            metrics,
            selectors,
            services,
            tasks,  # noqa: F401  (registers the task names queue.py sends)
        )

        observability.register_scrape_collector(metrics.ExperimentsCollector())

        hooks.register_finish_guard(services.ticket_finish_guard)
        hooks.register_ticket_finished_handler(services.ticket_closeout_snapshot)
        hooks.register_badge_provider(selectors.ticket_badges)
        hooks.register_ticket_panel(
            name="experiments", title="Runs and metric gates", url_name="experiments:ticket_panel", order=50
        )
        hooks.register_project_tab(
            name="experiments",
            label="Experiments",
            url_name="experiments:index",
            order=50,
            match=(
                "experiments:index",
                "experiments:experiment",
                "experiments:run",
                "experiments:compare",
                "experiments:sources",
                "experiments:source",
                "experiments:targets",
                "experiments:target_edit",
            ),
        )
        hooks.register_hub_section(
            name="experiments", title="Experiments", url_name="experiments:hub_section", order=50
        )
        hooks.register_hub_section(name="targets", title="Targets", url_name="experiments:targets_section", order=7)
        hooks.register_dashboard_section(
            name="targets", title="Targets", url_name="experiments:targets_section", order=10
        )
        # The PM charts (issue 13): the metric burn-up beside the burndown, runs per sprint.
        hooks.register_dashboard_section(
            name="burnup", title="Metric burn-up", url_name="experiments:burnup_section", order=6
        )
        hooks.register_dashboard_section(
            name="runs_per_sprint", title="Runs per sprint", url_name="experiments:runs_per_sprint_section", order=40
        )
        hooks.register_demo_seeder(name="experiments", seeder=demo.seed_demo_experiments, order=30)
        from . import project_templates
        from .selectors.portfolio import primary_targets_best

        hooks.register_template_part(
            project_templates.apply_template_targets, capture=project_templates.capture_template_targets, name="targets"
        )
        hooks.register_portfolio_provider(primary_targets_best)
        from . import health

        hooks.register_health_rule(health.rule_failing_gates)
        hooks.register_health_rule(health.rule_targets_near_deadline)
        hooks.register_health_rule(health.rule_sync)
        hooks.register_dashboard_targets(health.dashboard_targets)

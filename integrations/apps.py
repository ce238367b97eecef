from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Outbound webhooks. No domain app imports this one: it listens to their changes here
    (projects.hooks change listeners, and post_save of the few models whose changes are not
    announced), so the domain apps stay unaware of it."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import services, tasks  # noqa: F401  (tasks registers the Celery task names)

        services.connect()
        # The webhooks demo (integrations/demo_webhooks.py): CV's hook and its delivery log.
        from projects import hooks as project_hooks

        from .demo_webhooks import seed_webhooks_demo

        project_hooks.register_demo_seeder(name="webhooks", seeder=seed_webhooks_demo, order=41)
        # The Alertmanager intake's demo (integrations/demo.py), after FRAUD exists.
        from projects import hooks

        from .demo import seed_alerts_demo

        hooks.register_demo_seeder(name="alerts", seeder=seed_alerts_demo, order=40)

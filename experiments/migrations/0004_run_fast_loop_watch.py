"""The fast loop's watch list (experiments/sync/cycles.py): a partial index over the few stored
runs still running or deleted, so each cycle reads them without scanning every finished run."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("experiments", "0003_run_table_preference"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="run",
            index=models.Index(
                condition=models.Q(
                    ("purged", False),
                    models.Q(("status__in", ["RUNNING", "SCHEDULED"]), ("deleted", True), _connector="OR"),
                ),
                fields=["source", "id"],
                name="run_fast_loop_watch",
            ),
        ),
    ]

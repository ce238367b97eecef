import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_ticket_backlog_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="status_report_enabled",
            field=models.BooleanField(
                default=False,
                help_text="Write a status report into the docs every week, under the page “Status reports”.",
                verbose_name="Weekly status report",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="status_report_time",
            field=models.TimeField(
                default=datetime.time(9, 0),
                help_text="Hours and minutes, in UTC, e.g. 09:00.",
                verbose_name="Report time (UTC)",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="status_report_weekday",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (0, "Monday"),
                    (1, "Tuesday"),
                    (2, "Wednesday"),
                    (3, "Thursday"),
                    (4, "Friday"),
                    (5, "Saturday"),
                    (6, "Sunday"),
                ],
                default=0,
                verbose_name="Report day",
            ),
        ),
    ]

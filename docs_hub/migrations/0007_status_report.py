import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("docs_hub", "0006_run_search_indexes"),
        ("projects", "0009_project_status_report_settings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusReport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("period", models.DateField(blank=True, null=True)),
                (
                    "trigger",
                    models.CharField(choices=[("scheduled", "Scheduled"), ("manual", "Generate now")], max_length=10),
                ),
                ("generated_at", models.DateTimeField()),
                ("figures", models.JSONField(blank=True, default=dict)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "doc",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="docs_hub.doc",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_reports",
                        to="projects.project",
                    ),
                ),
            ],
            options={
                "ordering": ["-generated_at", "-id"],
                "indexes": [models.Index(fields=["project", "-generated_at"], name="status_report_recent")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("period__isnull", False)),
                        fields=("project", "period"),
                        name="unique_status_report_period",
                    )
                ],
            },
        ),
    ]

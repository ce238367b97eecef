from django.db import migrations, models


def render_existing(apps, schema_editor):
    """Render the acceptance criteria already stored (sanitized Markdown; ticket keys are
    linked the next time a ticket is saved, by the service, which knows the live tickets)."""
    from aihub.markdown import render_markdown

    Ticket = apps.get_model("projects", "Ticket")
    batch = []
    for ticket in Ticket.objects.exclude(acceptance_criteria="").only("id", "acceptance_criteria").iterator():
        ticket.acceptance_criteria_html = render_markdown(ticket.acceptance_criteria)
        batch.append(ticket)
        if len(batch) >= 500:
            Ticket.objects.bulk_update(batch, ["acceptance_criteria_html"])
            batch = []
    if batch:
        Ticket.objects.bulk_update(batch, ["acceptance_criteria_html"])


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0003_planning_relations_comments_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="acceptance_criteria_html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]

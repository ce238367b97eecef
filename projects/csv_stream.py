"""Tickets as a streamed CSV download, shared by the backlog's "Export CSV" and the API."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone

from .selectors.ticket_csv import tickets_csv_rows
from .selectors.tickets import TicketFilters


class _Echo:
    def write(self, value):
        return value


def tickets_csv_response(*, project, query, user, backlog: bool) -> StreamingHttpResponse:
    """Rows are read and written as the client downloads them (`query`: the filters, as the
    backlog and GET .../tickets/ take them)."""
    writer = csv.writer(_Echo())
    rows = tickets_csv_rows(project=project, filters=TicketFilters.from_query(query), user=user, backlog=backlog)
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    name = f"{project.key}-tickets-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

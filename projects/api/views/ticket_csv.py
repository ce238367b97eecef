"""GET /api/v1/projects/{key}/tickets/export.csv: the tickets list's filters, as CSV."""

from drf_spectacular.utils import OpenApiResponse, extend_schema

from ...csv_stream import tickets_csv_response
from ..base import ProjectScopedAPIView
from .tickets import FILTER_PARAMETERS


class TicketCsvExport(ProjectScopedAPIView):
    @extend_schema(
        operation_id="projects_tickets_export_csv",
        parameters=FILTER_PARAMETERS,
        responses={(200, "text/csv"): OpenApiResponse(description="One row per ticket, custom fields as cf_<key>")},
    )
    def get(self, request, key):
        return tickets_csv_response(
            project=self.get_project(), query=request.query_params, user=request.user, backlog=False
        )

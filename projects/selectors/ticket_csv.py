"""Tickets as CSV rows: the backlog's or the tickets API's filters, one row per ticket with its
custom fields as columns. Read in chunks of CSV_CHUNK tickets (one query for the tickets and
one for their labels per chunk, one for the custom field definitions): a constant number of
queries for up to CSV_CHUNK tickets, one more pair per further chunk."""

from collections.abc import Iterator

from django.db.models import Prefetch

from ..models import CustomField, CustomFieldType, Label, Project, SprintState, Ticket
from .tickets import TicketFilters, ticket_filter

CSV_CHUNK = 2000
CSV_COLUMNS = (
    "key",
    "title",
    "type",
    "status",
    "priority",
    "assignee",
    "reporter",
    "estimate",
    "sprint",
    "labels",
    "parent",
    "due_date",
    "created_at",
    "updated_at",
    "finished_at",
)
# A cell a spreadsheet would read as a formula gets a leading quote (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _custom_value(field: CustomField, value) -> str:
    if value is None:
        return ""
    if field.field_type == CustomFieldType.MULTI_SELECT and isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if field.field_type == CustomFieldType.CHECKBOX:
        return "yes" if value else "no"
    return str(value)


def tickets_csv_rows(
    *, project: Project, filters: TicketFilters, user=None, backlog: bool = False
) -> Iterator[list[str]]:
    """The header, then one row per ticket in rank order. `backlog`: as the backlog page lists
    them (tickets of completed sprints left out); otherwise as GET .../tickets/ does."""
    fields = list(CustomField.objects.filter(project=project).order_by("position", "id"))
    tickets = Ticket.objects.filter(project=project)
    if backlog:
        tickets = tickets.exclude(sprint__state=SprintState.COMPLETED)
    tickets = (
        ticket_filter(tickets, project=project, filters=filters, user=user, custom_fields=fields)
        .select_related("status", "assignee", "reporter", "sprint", "parent")
        .only(
            "key",
            "title",
            "type",
            "priority",
            "estimate",
            "due_date",
            "custom_fields",
            "created_at",
            "updated_at",
            "finished_at",
            "rank",
            "status__name",
            "assignee__username",
            "reporter__username",
            "sprint__name",
            "parent__key",
        )
        .prefetch_related(Prefetch("labels", queryset=Label.objects.only("id", "name").order_by("name")))
        .order_by("rank", "id")
    )
    yield [*CSV_COLUMNS, *(f"cf_{field.key}" for field in fields)]
    for ticket in tickets.iterator(chunk_size=CSV_CHUNK):
        values = ticket.custom_fields or {}
        row = [
            ticket.key,
            ticket.title,
            ticket.type,
            ticket.status.name,
            ticket.priority,
            ticket.assignee.username if ticket.assignee else "",
            ticket.reporter.username if ticket.reporter else "",
            ticket.estimate,
            ticket.sprint.name if ticket.sprint else "",
            ", ".join(label.name for label in ticket.labels.all()),
            ticket.parent.key if ticket.parent else "",
            ticket.due_date.isoformat() if ticket.due_date else "",
            ticket.created_at.isoformat(),
            ticket.updated_at.isoformat(),
            ticket.finished_at.isoformat() if ticket.finished_at else "",
            *(_custom_value(field, values.get(field.key)) for field in fields),
        ]
        yield [csv_safe(cell) for cell in row]

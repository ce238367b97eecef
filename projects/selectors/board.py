"""Reads for the board: columns with their cards, in board order.

The hot path reads `values_list()` rows, never model instances, and only what a card shows.
A board costs the same handful of queries whatever its size: statuses, counts per column,
the first cards of every column (one windowed query), their labels, and each badge
provider once.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from .. import hooks
from ..fields import custom_field_display
from ..models import CustomField, Label, Project, Sprint, SprintState, Ticket, TicketType, WorkflowStatus

User = get_user_model()

# Cards a column shows before "more" is fetched as the user scrolls (a screen shows ~8).
COLUMN_PAGE_SIZE = 20

CARD_FIELDS = (
    "id",
    "key",
    "title",
    "type",
    "priority",
    "estimate",
    "status_id",
    "rank",
    "version",
    "assignee__username",
    "assignee__display_name",
    "assignee__first_name",
    "assignee__last_name",
)
STATUS_INDEX = CARD_FIELDS.index("status_id")


@dataclass(frozen=True)
class BoardFilters:
    """What the board is narrowed to: an assignee's username ("none" for unassigned), a
    label name, a ticket type. Empty strings mean no filter."""

    assignee: str = ""
    label: str = ""
    type: str = ""

    @classmethod
    def from_query(cls, query) -> "BoardFilters":
        type_ = (query.get("type") or "").strip()
        return cls(
            assignee=(query.get("assignee") or "").strip(),
            label=(query.get("label") or "").strip(),
            type=type_ if type_ in TicketType.values else "",
        )

    def as_query(self) -> dict:
        return {
            name: value
            for name, value in (("assignee", self.assignee), ("label", self.label), ("type", self.type))
            if value
        }

    @property
    def active(self) -> bool:
        return bool(self.as_query())


@dataclass
class Column:
    id: int
    slug: str
    name: str
    wip_limit: int | None
    is_finished: bool
    count: int = 0  # every card in the column on this board (the WIP), whatever the filters
    cards: list[dict] = field(default_factory=list)
    has_more: bool = False

    @property
    def over_limit(self) -> bool:
        return self.wip_limit is not None and self.count > self.wip_limit

    @property
    def last_key(self) -> str | None:
        return self.cards[-1]["key"] if self.cards else None


def active_sprint(*, project: Project) -> Sprint | None:
    return Sprint.objects.filter(project=project, state=SprintState.ACTIVE).first()


def board_sprints(*, project: Project) -> list[dict]:
    """Sprints a board can show (not completed), for the sprint selector."""
    return list(
        Sprint.objects.filter(project=project)
        .exclude(state=SprintState.COMPLETED)
        .order_by("start_date", "id")
        .values("id", "name", "state")
    )


def _board_tickets(project: Project, sprint: Sprint | None) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(project=project)
    return tickets.filter(sprint=sprint) if sprint is not None else tickets


def _filtered(tickets: QuerySet[Ticket], filters: BoardFilters) -> QuerySet[Ticket]:
    if filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee__username=filters.assignee)
    if filters.label:
        tickets = tickets.filter(labels__name=filters.label)
    if filters.type:
        tickets = tickets.filter(type=filters.type)
    return tickets


def _initials(username: str | None, display_name: str, first_name: str, last_name: str) -> str:
    """The assignee's initials, from a values() row, as User.initials makes them."""
    if not username:
        return ""
    return User(
        username=username, display_name=display_name or "", first_name=first_name or "", last_name=last_name or ""
    ).initials


def card_custom_fields(*, project: Project) -> list[tuple[str, str, str]]:
    """The custom fields a project shows on its cards: (key, name, type)."""
    return list(
        CustomField.objects.filter(project=project, show_on_card=True)
        .order_by("position", "id")
        .values_list("key", "name", "field_type")
    )


def _card_columns(card_fields) -> tuple[str, ...]:
    # The custom-field JSON is read only when some field is shown on cards.
    return (*CARD_FIELDS, "custom_fields") if card_fields else CARD_FIELDS


def _cards(
    rows: list[tuple],
    card_fields=(),
    tickets: QuerySet[Ticket] | None = None,
    *,
    project: Project,
    sprint: Sprint | None,
    api: bool = False,
) -> list[dict]:
    """Turn ticket rows (CARD_FIELDS tuples, then the custom-field JSON when card_fields)
    into cards: labels and badges fetched once for all of them. `tickets`: the query the rows
    came from, when they are all of it; labels then join on it instead of sending every id.
    Badges are asked for the board (project and sprint), never for a list of ids.
    `api`: cards in the REST shape (label names, fields by key), built in the same pass."""
    ids = [row[0] for row in rows]
    labels: dict[int, list] = {}
    if ids:
        through = Ticket.labels.through.objects.filter(
            ticket_id__in=tickets.values("id") if tickets is not None else ids
        )
        if api:
            for ticket_id, name in through.values_list("ticket_id", "label__name").order_by("label__name"):
                labels.setdefault(ticket_id, []).append(name)
        else:
            for ticket_id, name, color in through.values_list("ticket_id", "label__name", "label__color").order_by(
                "label__name"
            ):
                labels.setdefault(ticket_id, []).append({"name": name, "color": color})
    badges = hooks.badges_for(project_id=project.pk, sprint_id=sprint.pk if sprint else None) if ids else {}
    if api:
        return _api_cards(rows, card_fields, labels, badges)
    initials: dict[tuple, str] = {}
    cards = []
    for row in rows:
        (
            id_,
            key,
            title,
            type_,
            priority,
            estimate,
            status_id,
            rank,
            version,
            username,
            display_name,
            first_name,
            last_name,
        ) = row[:13]
        person = (username, display_name, first_name, last_name)
        if person not in initials:
            initials[person] = _initials(*person)
        card = {
            "id": id_,
            "key": key,
            "title": title,
            "type": type_,
            "priority": priority,
            "estimate": estimate,
            "status_id": status_id,
            "rank": rank,
            "version": version,
            "assignee": username,
            "assignee_initials": initials[person],
            "labels": labels.get(id_, []),
            "badges": badges.get(id_, []),
            "fields": [],
        }
        if card_fields:
            values = row[13] or {}
            for field_key, name, field_type in card_fields:
                shown = custom_field_display(field_type, values.get(field_key))
                if shown:
                    card["fields"].append({"key": field_key, "name": name, "value": shown})
        cards.append(card)
    return cards


def _api_cards(rows: list[tuple], card_fields, labels: dict, badges: dict) -> list[dict]:
    """Cards as the board API shows them, one dict each straight from the row (the renderer
    encodes them once, with orjson)."""
    initials: dict[tuple, str] = {}
    no_fields: dict = {}
    cards = []
    for row in rows:
        (
            id_,
            key,
            title,
            type_,
            priority,
            estimate,
            _status_id,
            _rank,
            version,
            username,
            display_name,
            first_name,
            last_name,
        ) = row[:13]
        person = (username, display_name, first_name, last_name)
        if person not in initials:
            initials[person] = _initials(*person)
        fields = no_fields
        if card_fields:
            values = row[13] or {}
            fields = {}
            for field_key, _name, field_type in card_fields:
                shown = custom_field_display(field_type, values.get(field_key))
                if shown:
                    fields[field_key] = shown
        cards.append(
            {
                "key": key,
                "title": title,
                "type": type_,
                "priority": priority,
                "assignee": username,
                "assignee_initials": initials[person],
                "estimate": estimate,
                "labels": labels.get(id_, []),
                "badges": badges.get(id_, []),
                "version": version,
                "fields": fields,
            }
        )
    return cards


def board_columns(
    *,
    project: Project,
    sprint: Sprint | None,
    filters: BoardFilters | None = None,
    per_column: int | None = COLUMN_PAGE_SIZE,
    empty: bool = False,
    api: bool = False,
) -> list[Column]:
    """Every status of the project as a column holding its first `per_column` cards (all of
    them when None) of `sprint` (the whole project when None), in board order. `empty`:
    the columns alone (a Scrum board with no active sprint). `api`: cards in the REST shape."""
    filters = filters or BoardFilters()
    columns = [
        Column(**row)
        for row in WorkflowStatus.objects.filter(project=project)
        .order_by("position", "id")
        .values("id", "slug", "name", "wip_limit", "is_finished")
    ]
    if empty:
        return columns
    by_id = {column.id: column for column in columns}
    board = _board_tickets(project, sprint)
    for row in board.order_by().values("status_id").annotate(n=Count("id")):
        if row["status_id"] in by_id:
            by_id[row["status_id"]].count = row["n"]

    tickets = _filtered(board, filters)
    if per_column is not None:
        tickets = tickets.annotate(
            position=Window(RowNumber(), partition_by=[F("status_id")], order_by=[F("rank").asc(), F("id").asc()])
        ).filter(position__lte=per_column + 1)
    card_fields = card_custom_fields(project=project)
    rows = list(tickets.order_by("status_id", "rank", "id").values_list(*_card_columns(card_fields)))
    per_status: dict[int, list[tuple]] = {}
    for row in rows:
        per_status.setdefault(row[STATUS_INDEX], []).append(row)
    if per_column is not None:
        for status_id, status_rows in per_status.items():
            if len(status_rows) > per_column:
                by_id[status_id].has_more = True
                del status_rows[per_column:]
    shown = [row for status_rows in per_status.values() for row in status_rows]
    cards = _cards(
        shown,
        card_fields,
        tickets=tickets.order_by() if per_column is None else None,
        project=project,
        sprint=sprint,
        api=api,
    )
    for row, card in zip(shown, cards, strict=False):
        by_id[row[STATUS_INDEX]].cards.append(card)
    return columns


def column_cards(
    *,
    project: Project,
    sprint: Sprint | None,
    status: WorkflowStatus,
    filters: BoardFilters | None = None,
    after: str | None = None,
    limit: int = COLUMN_PAGE_SIZE,
) -> tuple[list[dict], bool]:
    """The next `limit` cards of one column after the card keyed `after` (keyset paging),
    and whether more follow."""
    tickets = _filtered(_board_tickets(project, sprint).filter(status=status), filters or BoardFilters())
    if after:
        anchor = Ticket.objects.filter(project=project, key=after).values("rank", "id").first()
        if anchor is not None:
            tickets = tickets.filter(Q(rank__gt=anchor["rank"]) | Q(rank=anchor["rank"], id__gt=anchor["id"]))
    card_fields = card_custom_fields(project=project)
    rows = list(tickets.order_by("rank", "id").values_list(*_card_columns(card_fields))[: limit + 1])
    return _cards(rows[:limit], card_fields, project=project, sprint=sprint), len(rows) > limit


def board_filter_choices(*, project: Project) -> dict:
    """What the filter bar offers: members (assignees), labels and types."""
    from ..models import Membership

    assignees = list(
        Membership.objects.filter(project=project).order_by("user__username").values_list("user__username", flat=True)
    )
    labels = list(Label.objects.filter(project=project).order_by("name").values_list("name", flat=True))
    return {"assignees": assignees, "labels": labels, "types": TicketType.choices}


def board_summary(*, project: Project) -> dict:
    """For the hub: tickets per column of the board (the active sprint, or the whole project)."""
    sprint = active_sprint(project=project)
    counts = dict(_board_tickets(project, sprint).order_by().values_list("status_id").annotate(n=Count("id")))
    statuses = (
        WorkflowStatus.objects.filter(project=project)
        .order_by("position", "id")
        .values("id", "name", "wip_limit", "is_finished")
    )
    columns = [{**s, "count": counts.get(s["id"], 0)} for s in statuses]
    for column in columns:
        column["over_limit"] = column["wip_limit"] is not None and column["count"] > column["wip_limit"]
    return {"sprint": sprint, "columns": columns, "total": sum(c["count"] for c in columns)}

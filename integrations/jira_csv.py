"""Jira CSV exports, read and mapped: pure functions, no database.

A Jira export ("Export Excel CSV (all fields)") repeats a column once per value (Labels,
Sprint, Component/s, Comment, Watchers...), quotes multi-line fields, names custom fields
"Custom field (Name)" and writes dates in the exporting user's format ("12/Mar/24 3:15 PM",
"2024-03-12 15:15", localized month names). `parse_jira_csv` turns the bytes into
`JiraIssue` rows; the `map_*` functions say what each Jira value becomes in AI Hub. The
writes live in integrations/jira_import.py.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.text import slugify

from projects.models import Priority, TicketType

KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")


class JiraCsvError(ValueError):
    """The file cannot be imported at all (not a CSV, no Summary column, too big)."""


@dataclass
class JiraComment:
    created: datetime.datetime | None
    author: str
    body: str


@dataclass
class JiraIssue:
    line: int  # where the row starts in the file (1 = the header)
    key: str
    issue_id: str = ""
    summary: str = ""
    description: str = ""
    issue_type: str = ""
    status: str = ""
    status_category: str = ""
    priority: str = ""
    assignee: str = ""
    reporter: str = ""
    created: datetime.datetime | None = None
    updated: datetime.datetime | None = None
    resolved: datetime.datetime | None = None
    due_date: datetime.date | None = None
    labels: list[str] = field(default_factory=list)
    sprints: list[str] = field(default_factory=list)
    estimate: int | None = None
    parent_ref: str = ""  # a parent's key or issue id ("Parent", "Parent id", "Epic Link")
    parent_summary: str = ""
    comments: list[JiraComment] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)  # unknown column -> value

    @property
    def sprint(self) -> str:
        """The sprint the issue is in now: Jira lists every sprint it was in, the last one last."""
        return self.sprints[-1] if self.sprints else ""


@dataclass
class JiraFile:
    columns: list[str]  # the header's distinct names, in order
    issues: list[JiraIssue]
    unknown_columns: list[str]  # columns kept as custom fields or ignored, by choice
    errors: list[str]  # rows skipped, with the reason


# Header name (lower case) -> what it fills. Several spellings map to one field.
FIELDS = {
    "issue key": "key",
    "key": "key",
    "issue id": "issue_id",
    "summary": "summary",
    "description": "description",
    "issue type": "issue_type",
    "status": "status",
    "status category": "status_category",
    "priority": "priority",
    "assignee": "assignee",
    "reporter": "reporter",
    "created": "created",
    "updated": "updated",
    "resolved": "resolved",
    "due date": "due_date",
    "due": "due_date",
    "labels": "labels",
    "component/s": "components",
    "components": "components",
    "sprint": "sprints",
    "custom field (sprint)": "sprints",
    "custom field (story points)": "estimate",
    "custom field (story point estimate)": "estimate",
    "story points": "estimate",
    "story point estimate": "estimate",
    "parent": "parent_ref",
    "parent id": "parent_ref",
    "parent key": "parent_ref",
    "custom field (epic link)": "epic_link",
    "epic link": "epic_link",
    "parent summary": "parent_summary",
    "comment": "comments",
    "comments": "comments",
}
# Standard columns with nothing to map to (ids, project metadata, votes, watchers, sums):
# ignored without asking.
IGNORED = {
    "project key",
    "project name",
    "project type",
    "project lead",
    "project lead id",
    "project description",
    "project url",
    "assignee id",
    "reporter id",
    "creator",
    "creator id",
    "watchers",
    "watchers id",
    "votes",
    "last viewed",
    "attachment",
    "log work",
    "work ratio",
    "status category changed",
    "security level",
    "custom field (rank)",
    "custom field (epic name)",
    "custom field (epic status)",
    "custom field (epic colour)",
    "custom field (epic color)",
    "custom field (issue color)",
    "custom field (development)",
}

TYPE_MAP = {
    "epic": TicketType.EPIC,
    "story": TicketType.STORY,
    "user story": TicketType.STORY,
    "new feature": TicketType.STORY,
    "feature": TicketType.STORY,
    "bug": TicketType.BUG,
    "defect": TicketType.BUG,
    "incident": TicketType.BUG,
    "problem": TicketType.BUG,
    "spike": TicketType.SPIKE,
    "research": TicketType.SPIKE,
    "experiment": TicketType.EXPERIMENT,
    "task": TicketType.TASK,
    "sub-task": TicketType.TASK,
    "subtask": TicketType.TASK,
    "improvement": TicketType.TASK,
    "technical task": TicketType.TASK,
    "chore": TicketType.TASK,
}
PRIORITY_MAP = {
    "highest": Priority.URGENT,
    "blocker": Priority.URGENT,
    "critical": Priority.URGENT,
    "urgent": Priority.URGENT,
    "p0": Priority.URGENT,
    "high": Priority.HIGH,
    "major": Priority.HIGH,
    "p1": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "normal": Priority.MEDIUM,
    "p2": Priority.MEDIUM,
    "low": Priority.LOW,
    "lowest": Priority.LOW,
    "minor": Priority.LOW,
    "trivial": Priority.LOW,
    "p3": Priority.LOW,
    "p4": Priority.LOW,
}

# --- dates ---------------------------------------------------------------------------------

# Localized month abbreviations seen in exports (German, French, Spanish, Portuguese,
# Italian, Dutch) -> the English ones strptime reads.
MONTHS = {
    "jan": "Jan",
    "feb": "Feb",
    "mar": "Mar",
    "apr": "Apr",
    "may": "May",
    "jun": "Jun",
    "jul": "Jul",
    "aug": "Aug",
    "sep": "Sep",
    "sept": "Sep",
    "oct": "Oct",
    "nov": "Nov",
    "dec": "Dec",
    "mär": "Mar",
    "mrz": "Mar",
    "mai": "May",
    "okt": "Oct",
    "dez": "Dec",
    "janv": "Jan",
    "févr": "Feb",
    "fevr": "Feb",
    "mars": "Mar",
    "avr": "Apr",
    "juin": "Jun",
    "juil": "Jul",
    "août": "Aug",
    "aout": "Aug",
    "déc": "Dec",
    "ene": "Jan",
    "abr": "Apr",
    "ago": "Aug",
    "dic": "Dec",
    "fev": "Feb",
    "set": "Sep",
    "out": "Oct",
    "dez.": "Dec",
    "gen": "Jan",
    "mag": "May",
    "giu": "Jun",
    "lug": "Jul",
    "ott": "Oct",
    "mrt": "Mar",
    "mei": "May",
    "okt.": "Oct",
}
MONTH_WORD = re.compile(r"^(\d{1,2})[/ -]([^\W\d_]+)\.?[/ -](\d{2,4})(.*)$")
DATE_FORMATS = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d/%b/%y",
    "%d/%b/%Y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %I:%M %p",
)


def _normalize_date_text(text: str) -> str:
    text = " ".join(text.replace("\u202f", " ").split())
    match = MONTH_WORD.match(text)
    if match:
        day, month, year, rest = match.groups()
        english = MONTHS.get(month.lower()) or MONTHS.get(month.lower()[:3])
        if english:
            text = f"{day}/{english}/{year}{rest}"
    return text.replace("a.m.", "AM").replace("p.m.", "PM").replace(" am", " AM").replace(" pm", " PM")


_last_format: list[str] = [DATE_FORMATS[0]]


def parse_jira_datetime(value: str) -> datetime.datetime | None:
    """A Jira date or date-time in any of the export formats, as an aware datetime (a
    naive one is in the server's time zone), or None when empty or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value[:4].isdigit() and "T" in value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    text = _normalize_date_text(value)
    for fmt in (_last_format[0], *DATE_FORMATS):
        try:
            parsed = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        _last_format[0] = fmt
        return timezone.make_aware(parsed)
    return None


# --- text ----------------------------------------------------------------------------------

WIKI_CODE = re.compile(r"\{(code|noformat)(?::([^}]*))?\}(.*?)\{\1\}", re.S)
WIKI_HEADING = re.compile(r"^h([1-6])\.\s+", re.M)
WIKI_NUMBERED = re.compile(r"^(#+)\s+", re.M)
WIKI_LINK = re.compile(r"\[([^\[\]|\n]+)\|((?:https?|mailto):[^\]\s]+)\]")
LIST_AFTER_TEXT = re.compile(r"^((?![ \t]*(?:\d+\.|[*-])[ \t])[^\n]*\S[^\n]*\n)([ \t]*(?:\d+\.|[*-])[ \t])", re.M)
WIKI_MONO = re.compile(r"\{\{([^{}\n]+)\}\}")


def wiki_to_markdown(text: str) -> str:
    """The common Jira wiki markup as Markdown: {code}/{noformat} blocks, h1. headings,
    # numbered lists, [text|url] links, {{monospace}}. Anything else stays as written."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[str] = []

    def fence(match: re.Match) -> str:
        language = (match.group(2) or "").split("|")[0].split("=")[-1].strip() if match.group(1) == "code" else ""
        blocks.append(f"\n```{language}\n{match.group(3).strip(chr(10))}\n```\n")
        return f"\x00{len(blocks) - 1}\x00"

    text = WIKI_CODE.sub(fence, text)
    text = WIKI_NUMBERED.sub(lambda m: "   " * (len(m.group(1)) - 1) + "1. ", text)
    text = WIKI_HEADING.sub(lambda m: "#" * int(m.group(1)) + " ", text)
    text = WIKI_LINK.sub(r"[\1](\2)", text)
    text = WIKI_MONO.sub(r"`\1`", text)
    text = LIST_AFTER_TEXT.sub(r"\1\n\2", text)  # Markdown starts a list only after a blank line
    return re.sub(r"\x00(\d+)\x00", lambda m: blocks[int(m.group(1))], text).strip()


def parse_estimate(value: str) -> int | None:
    """Story points as a whole number (0.5 -> 1), None when empty or not a number."""
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0:
        return None
    return min(int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP)), 32767)


def parse_comment(value: str) -> JiraComment | None:
    """A `Comment` cell: "date;author;body" (the body may hold semicolons and newlines). A
    cell that does not start with a date is a body on its own."""
    value = (value or "").strip()
    if not value:
        return None
    parts = value.split(";", 2)
    if len(parts) == 3:
        created = parse_jira_datetime(parts[0])
        if created is not None:
            return JiraComment(created=created, author=parts[1].strip(), body=parts[2].strip())
    return JiraComment(created=None, author="", body=value)


def natural_key(name: str) -> list:
    """'Sprint 10' after 'Sprint 9'."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", name)]


def column_label(name: str) -> str:
    """'Custom field (Team)' -> 'Team': how an unknown column is named as a custom field."""
    match = re.match(r"^custom field \((.*)\)$", name.strip(), re.I)
    return (match.group(1) if match else name).strip()[:60] or "Jira field"


def column_key(name: str) -> str:
    """The custom field key an unknown column is kept under ('Custom field (Team)' -> 'jira_team')."""
    slug = slugify(column_label(name)).replace("-", "_")[:34] or "field"
    return f"jira_{slug}"


# --- the file ------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise JiraCsvError("This is not a CSV file (it holds binary data).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise JiraCsvError("This file is neither UTF-8 nor Windows-1252 text.") from None


def parse_jira_csv(data: bytes, *, max_rows: int = 100_000) -> JiraFile:
    """Read a Jira CSV export. Raises JiraCsvError when the file cannot be imported at all;
    rows that cannot be imported (no key, no summary) are skipped and listed in `errors`."""
    text = _decode(data)
    if not text.strip():
        raise JiraCsvError("The file is empty.")
    first_line = text[:8192].split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as error:
        raise JiraCsvError(f"This is not a readable CSV file: {error}.") from None
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    if "summary" not in lowered:
        raise JiraCsvError(
            "No Summary column: this does not look like a Jira export (export with "
            "“Export Excel CSV (all fields)” or “Export CSV (current fields)”)."
        )
    if "issue key" not in lowered and "key" not in lowered:
        raise JiraCsvError("No “Issue key” column: it is needed to update the same tickets when you import again.")
    # Column index -> (field, name); unknown columns keep their header name.
    slots: list[tuple[str | None, str]] = []
    unknown: list[str] = []
    for name, low in zip(names, lowered, strict=True):
        if low in FIELDS:
            slots.append((FIELDS[low], name))
        elif low in IGNORED or not low or low.startswith(("\u03c3", "\u2211", "sum of ")) or low.endswith(" id"):
            slots.append((None, name))
        else:
            slots.append(("extra", name))
            if name not in unknown:
                unknown.append(name)
    issues: list[JiraIssue] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(issues) >= max_rows:
                raise JiraCsvError(f"More than {max_rows:,} issues: split the export.")
            issue = _issue_from_row(row, slots, line)
            if not issue.key:
                errors.append(f"Line {line}: no issue key, row skipped.")
                continue
            if not KEY_RE.match(issue.key):
                errors.append(f"Line {line}: “{issue.key[:40]}” is not a Jira issue key, row skipped.")
                continue
            if not issue.summary:
                errors.append(f"Line {line}: {issue.key} has no summary, row skipped.")
                continue
            if issue.key in seen:
                first = seen[issue.key]
                errors.append(f"Line {line}: {issue.key} appears twice (also line {first}); the last row wins.")
                issues[:] = [i for i in issues if i.key != issue.key]
            seen[issue.key] = line
            issues.append(issue)
    except csv.Error as error:
        raise JiraCsvError(f"The CSV is malformed near line {reader.line_num}: {error}.") from None
    if not issues:
        raise JiraCsvError("The file has a header but no issue rows." + (f" {errors[0]}" if errors else ""))
    filled = {name for issue in issues for name in issue.extra}
    unknown = [name for name in unknown if name in filled]  # an empty column has nothing to keep
    return JiraFile(columns=list(dict.fromkeys(names)), issues=issues, unknown_columns=unknown, errors=errors)


def _issue_from_row(row: list[str], slots, line: int) -> JiraIssue:
    values: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    for (target, name), cell in zip(slots, row, strict=False):
        if target is None:
            continue
        cell = cell.strip()
        if not cell:
            continue
        if target == "extra":
            extra.setdefault(name, []).append(cell)
        else:
            values.setdefault(target, []).append(cell)

    def one(name: str) -> str:
        found = values.get(name)
        return found[0] if found else ""

    # Jira labels hold no spaces (a "current fields" export puts them space-separated in
    # one cell); components may, so they stay whole.
    labels = [part for value in values.get("labels", []) for part in value.replace(",", " ").split()]
    labels += values.get("components", [])
    due = parse_jira_datetime(one("due_date"))
    parent_ref = one("epic_link") or one("parent_ref")
    return JiraIssue(
        line=line,
        key=one("key").upper(),
        issue_id=one("issue_id"),
        summary=" ".join(one("summary").split())[:255],
        description=wiki_to_markdown(one("description")),
        issue_type=one("issue_type"),
        status=one("status"),
        status_category=one("status_category"),
        priority=one("priority"),
        assignee=one("assignee"),
        reporter=one("reporter"),
        created=parse_jira_datetime(one("created")),
        updated=parse_jira_datetime(one("updated")),
        resolved=parse_jira_datetime(one("resolved")),
        due_date=due.date() if due else None,
        labels=list(dict.fromkeys(label[:50] for label in labels)),
        sprints=list(dict.fromkeys(s[:100] for s in values.get("sprints", []))),
        estimate=parse_estimate(one("estimate")),
        parent_ref=parent_ref.upper() if KEY_RE.match(parent_ref.upper()) else parent_ref,
        parent_summary=one("parent_summary"),
        comments=[c for c in (parse_comment(v) for v in values.get("comments", [])) if c is not None],
        extra={name: ", ".join(cells) for name, cells in extra.items()},
    )


# --- mapping -------------------------------------------------------------------------------


def map_issue_type(name: str) -> str:
    return TYPE_MAP.get((name or "").strip().lower(), TicketType.TASK)


def map_priority(name: str) -> str:
    return PRIORITY_MAP.get((name or "").strip().lower(), Priority.MEDIUM)


DONE_WORDS = ("done", "closed", "resolved", "released", "complete", "cancel", "won't", "rejected", "fixed")
PROGRESS_WORDS = ("progress", "review", "test", "qa", "develop", "doing", "verif", "block", "deploy")


def status_category(name: str, category: str) -> str:
    """'todo', 'progress' or 'done': Jira's status category when the file has it, else a
    guess from the status name."""
    category = (category or "").strip().lower()
    if category in {"done", "complete", "erledigt", "terminé", "fertig"}:
        return "done"
    if category in {"in progress", "in arbeit", "en cours"}:
        return "progress"
    if category in {"to do", "new", "zu erledigen", "à faire"}:
        return "todo"
    low = (name or "").lower()
    if any(word in low for word in DONE_WORDS):
        return "done"
    if any(word in low for word in PROGRESS_WORDS):
        return "progress"
    return "todo"


@dataclass(frozen=True)
class WorkflowColumn:
    slug: str
    name: str
    is_finished: bool


def map_statuses(
    jira: dict[str, str], workflow: list[WorkflowColumn], overrides: dict[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """Each Jira status (name -> its category) -> (workflow slug, how: 'chosen', 'name' or
    'category'). By name, case-insensitively (or the slug); else by category: to do -> the
    first open column, in progress -> 'in_progress' or the second open column, done -> the
    first finished column."""
    overrides = overrides or {}
    slugs = {column.slug for column in workflow}
    by_name = {column.name.strip().lower(): column.slug for column in workflow}
    by_name.update({column.slug.lower(): column.slug for column in workflow})
    open_columns = [c.slug for c in workflow if not c.is_finished] or [workflow[0].slug]
    finished = [c.slug for c in workflow if c.is_finished] or [workflow[-1].slug]
    progress = "in_progress" if "in_progress" in open_columns else open_columns[min(1, len(open_columns) - 1)]
    todo = "todo" if "todo" in open_columns else open_columns[0]
    mapped = {}
    for name, category in jira.items():
        if overrides.get(name) in slugs:
            mapped[name] = (overrides[name], "chosen")
        elif name.strip().lower() in by_name:
            mapped[name] = (by_name[name.strip().lower()], "name")
        elif name.strip().lower().replace(" ", "_") in slugs:
            mapped[name] = (name.strip().lower().replace(" ", "_"), "name")
        else:
            kind = status_category(name, category)
            mapped[name] = ({"done": finished[0], "progress": progress, "todo": todo}[kind], "category")
    return mapped


@dataclass(frozen=True)
class Member:
    id: int
    username: str
    email: str
    names: tuple[str, ...]  # display name, full name


def match_users(jira_names: list[str], members: list[Member]) -> dict[str, int | None]:
    """Each Jira user (an e-mail, a username or a display name) -> a member's id, or None.
    E-mail first, then username, then display or full name, all case-insensitively; a name
    two members share matches neither."""
    by_email = {m.email.lower(): m.id for m in members if m.email}
    by_username = {m.username.lower(): m.id for m in members}
    by_name: dict[str, int | None] = {}
    for member in members:
        for name in {n.strip().lower() for n in member.names if n.strip()}:
            by_name[name] = None if name in by_name and by_name[name] != member.id else member.id
    found = {}
    for raw in jira_names:
        low = raw.strip().lower()
        found[raw] = by_email.get(low) or by_username.get(low) or by_name.get(low)
        if found[raw] is None and "@" in low:
            found[raw] = by_username.get(low.split("@", 1)[0])
    return found

"""The writes of a Jira import: one transaction, the project row locked; labels, sprints and
custom fields first, then tickets by batches (created, or updated where they differ), their
labels, comments and history lines, then the parent links."""

import datetime
import re

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from aihub.limits import text_limit
from projects import live
from projects.models import (
    Comment,
    CustomField,
    CustomFieldType,
    Label,
    Project,
    Sprint,
    Ticket,
    TicketEvent,
)
from projects.ranking import RANK_GAP

from ..jira_csv import (
    JiraFile,
    JiraIssue,
    column_key,
    column_label,
    map_issue_type,
    map_priority,
    natural_key,
)
from .preview import Plan, jira_plan
from .text import Renderer, clip

BATCH = 1000
SPRINT_DAYS = 14
JIRA_AUTHOR_NOTE = re.compile(r"^\*\*[^*\n]{1,200}\*\* \(Jira\):\n\n")


def _sprints_create(project: Project, plan: Plan) -> dict[str, int]:
    """Jira sprint name -> sprint id; missing sprints are created, in name order, as
    consecutive two-week sprints whose last one starts today (Jira's CSV has no sprint
    dates), planned: start and complete them on the sprint page."""
    missing = sorted((n for n, s in plan.sprints.items() if s is None), key=natural_key)
    today = timezone.localdate()
    created = Sprint.objects.bulk_create(
        Sprint(
            project=project,
            name=name,
            start_date=today - datetime.timedelta(days=SPRINT_DAYS * (len(missing) - 1 - i)),
            end_date=today - datetime.timedelta(days=SPRINT_DAYS * (len(missing) - 1 - i) - SPRINT_DAYS + 1),
        )
        for i, name in enumerate(missing)
    )
    ids = {name: s.pk for name, s in plan.sprints.items() if s is not None}
    ids.update({s.name: s.pk for s in created})
    return ids


def _labels_create(project: Project, plan: Plan) -> dict[str, int]:
    missing = [name for name, label_id in plan.labels.items() if label_id is None]
    if missing:
        Label.objects.bulk_create([Label(project=project, name=n) for n in missing], ignore_conflicts=True)
    return dict(Label.objects.filter(project=project, name__in=list(plan.labels)).values_list("name", "id"))


def _fields_create(project: Project, plan: Plan, errors: list[str]) -> dict[str, str]:
    """Kept column -> custom field key; a text field is created per new column. A column
    whose key already names a field of another type is skipped (and said so)."""
    wanted = {name: column_key(name) for name in plan.keep_columns}
    existing = {f.key: f for f in CustomField.objects.filter(project=project, key__in=list(wanted.values()))}
    position = CustomField.objects.filter(project=project).aggregate(m=Max("position"))["m"] or 0
    new, keys = [], {}
    for name, key in wanted.items():
        field_ = existing.get(key)
        if field_ is None and key not in {f.key for f in new}:
            position += 1
            new.append(
                CustomField(
                    project=project,
                    key=key,
                    name=column_label(name),
                    field_type=CustomFieldType.TEXT,
                    position=position,
                )
            )
        elif field_ is not None and field_.field_type != CustomFieldType.TEXT:
            errors.append(f"Column “{name}” skipped: the field {key} is a {field_.get_field_type_display()} field.")
            continue
        keys[name] = key
    CustomField.objects.bulk_create(new)
    if new:
        live.announce(project_id=project.pk, kind="fields.changed")
    return keys


def jira_apply(*, project: Project, jira: JiraFile, options: dict, actor=None, progress=None) -> dict:
    """Import (or re-import) `jira` into `project` in one transaction. Returns the counts,
    the errors a user can act on and a summary."""
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        plan = jira_plan(project=locked, jira=jira, options=options)
        errors = list(jira.errors)
        sprint_ids = _sprints_create(locked, plan)
        label_ids = _labels_create(locked, plan)
        field_keys = _fields_create(locked, plan, errors)
        writer = _TicketWriter(locked, plan, sprint_ids, label_ids, field_keys, actor, errors)
        # In Jira key order (an export lists the newest first): numbers and backlog order follow it.
        issues = sorted(jira.issues, key=lambda issue: natural_key(issue.key))
        for start in range(0, len(jira.issues), BATCH):
            writer.write(issues[start : start + BATCH])
            if progress is not None:
                progress(min(start + BATCH, len(jira.issues)))
        linked = writer.link_parents()
        live.announce(project_id=locked.pk, kind="tickets.imported")
    unmatched = sorted(name for name, uid in plan.users.items() if uid is None)
    if plan.unresolved_parents:
        errors.append(f"{len(plan.unresolved_parents)} parent or epic links point outside the file and the project.")
    return {
        "created": writer.created,
        "updated": writer.updated,
        "errors": errors[:200],
        "unchanged": writer.unchanged,
        "comments": writer.comments,
        "parents_linked": linked,
        "sprints_created": sum(1 for s in plan.sprints.values() if s is None),
        "labels_created": sum(1 for label_id in plan.labels.values() if label_id is None),
        "custom_fields": sorted(set(field_keys.values())),
        "unmatched_users": unmatched[:100],
    }


def _bulk_create_dated(model, rows: list) -> None:
    """Insert rows keeping their own created_at (Jira's): auto_now_add would stamp "now".
    On PostgreSQL the rows go in as given (the insert query in raw mode, as loaddata writes
    fixtures, by batches, ids returned); elsewhere bulk_create and one update of the dates."""
    now = timezone.now()
    for row in rows:
        row.updated_at = now
    if connection.vendor != "postgresql":
        dates = [row.created_at for row in rows]
        model.objects.bulk_create(rows, batch_size=BATCH)
        _update_by_id(model, "created_at", [(row.pk, created) for row, created in zip(rows, dates, strict=True)])
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        returned = model.objects._insert(batch, fields=fields, returning_fields=meta.db_returning_fields, raw=True)
        for row, values in zip(batch, returned, strict=True):
            for returned_field, value in zip(meta.db_returning_fields, values, strict=True):
                setattr(row, returned_field.attname, value)
            row._state.adding, row._state.db = False, connection.alias


def _update_by_id(model, name: str, pairs: list[tuple[int, object]]) -> None:
    """Set one column of many rows, each to its own value: on PostgreSQL one UPDATE ... FROM
    unnest(ids, values) per 5,000 rows (bulk_update's CASE costs a comparison per row and
    id); elsewhere bulk_update."""
    if not pairs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update([model(pk=pk, **{name: value}) for pk, value in pairs], [name], batch_size=BATCH)
        return
    field_ = model._meta.get_field(name)
    column = connection.ops.quote_name(field_.column)
    cast = {"created_at": "timestamptz"}.get(name, "bigint")
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), 5000):
            chunk = pairs[start : start + 5000]
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.value "
                f"FROM unnest(%s::bigint[], %s::{cast}[]) AS v(id, value) WHERE t.id = v.id",
                [[pk for pk, _ in chunk], [value for _, value in chunk]],
            )


class _TicketWriter:
    """Creates or updates the tickets of one batch of issues at a time, with their labels,
    comments and history lines; links parents once every ticket exists."""

    FIELDS = (
        "title",
        "description",
        "description_html",
        "type",
        "status_id",
        "priority",
        "assignee_id",
        "reporter_id",
        "estimate",
        "sprint_id",
        "due_date",
        "custom_fields",
        "finished_at",
    )
    HISTORY = (
        "title",
        "description",
        "type",
        "status_id",
        "priority",
        "assignee_id",
        "estimate",
        "sprint_id",
        "due_date",
    )

    def __init__(self, project, plan: Plan, sprint_ids, label_ids, field_keys, actor, errors):
        self.project, self.plan = project, plan
        self.sprint_ids, self.label_ids, self.field_keys = sprint_ids, label_ids, field_keys
        self.actor, self.errors = actor, errors
        self.render = Renderer()
        self.counter = project.ticket_counter
        self.numbers = set(Ticket.objects.filter(project=project).values_list("number", flat=True))
        top = Ticket.objects.filter(project=project).aggregate(m=Max("rank"))["m"] or 0
        self.rank = top
        self.ids: dict[str, int] = {}  # Jira key -> ticket id
        self.parent_now: dict[str, int | None] = {}
        self.created = self.updated = self.unchanged = self.comments = 0
        self.description_limit = text_limit("projects.Ticket", "description")
        self.comment_limit = text_limit("projects.Comment", "body")

    def _values(self, issue: JiraIssue) -> dict:
        slug = self.plan.statuses[issue.status][0] if issue.status else None
        status = self.plan.status_ids.get(slug) if slug else None
        if status is None:
            status = next(iter(self.plan.status_ids.values()))
        description = issue.description
        if len(description) > self.description_limit:
            self.errors.append(f"{issue.key}: description cut to {self.description_limit:,} characters.")
            description = clip(description, self.description_limit)
        custom = {}
        for name, key in self.field_keys.items():
            value = issue.extra.get(name)
            if value:
                custom[key] = clip(value, 2000)
        finished = (issue.resolved or issue.updated or timezone.now()) if status.is_finished else None
        return {
            "title": issue.summary,
            "description": description,
            "type": map_issue_type(issue.issue_type),
            "status_id": status.pk,
            "priority": map_priority(issue.priority),
            "assignee_id": self.plan.users.get(issue.assignee) if issue.assignee else None,
            "reporter_id": self.plan.users.get(issue.reporter) if issue.reporter else None,
            "estimate": issue.estimate,
            "sprint_id": self.sprint_ids.get(issue.sprint) if issue.sprint else None,
            "due_date": issue.due_date,
            "custom_fields": custom,
            "finished": finished,
        }

    def write(self, issues: list[JiraIssue]) -> None:
        existing = {
            t.external_ref: t
            for t in Ticket.objects.filter(project=self.project, external_ref__in=[i.key for i in issues])
        }
        label_rows = Ticket.labels.through.objects.filter(ticket_id__in=[t.pk for t in existing.values()])
        current_labels: dict[int, set[int]] = {}
        for ticket_id, label_id in label_rows.values_list("ticket_id", "label_id"):
            current_labels.setdefault(ticket_id, set()).add(label_id)
        new, changed, events, wanted_labels = [], [], [], {}
        now = timezone.now()
        for issue in issues:
            values = self._values(issue)
            finished = values.pop("finished")
            ticket = existing.get(issue.key)
            if ticket is None:
                number = self._number(issue.key)
                self.rank += RANK_GAP
                ticket = Ticket(
                    project=self.project,
                    number=number,
                    key=f"{self.project.key}-{number}",
                    external_ref=issue.key,
                    rank=self.rank,
                    description_html=self.render(values["description"]),
                    finished_at=finished,
                    **values,
                )
                ticket.created_at = issue.created or now
                new.append(ticket)
            else:
                diff = self._update(ticket, values, finished, issue)
                if diff:
                    changed.append(ticket)
                    events.extend(
                        TicketEvent(
                            ticket=ticket,
                            actor=self.actor,
                            kind=TicketEvent.Kind.CHANGED,
                            field=name.removesuffix("_id"),
                            old_value=old,
                            new_value=new_value,
                            data={"import": "jira"},
                        )
                        for name, old, new_value in diff
                    )
                self.parent_now[issue.key] = ticket.parent_id
            wanted_labels[issue.key] = {self.label_ids[n] for n in issue.labels if n in self.label_ids}
        if new:
            _bulk_create_dated(Ticket, new)
            events.extend(
                TicketEvent(
                    ticket=t,
                    actor=self.actor,
                    kind=TicketEvent.Kind.CREATED,
                    new_value=t.title,
                    data={"sprint_id": t.sprint_id, "import": "jira", "external_ref": t.external_ref},
                )
                for t in new
            )
            Project.objects.filter(pk=self.project.pk).update(ticket_counter=self.counter)
            for ticket in new:
                self.parent_now[ticket.external_ref] = None
        label_changed = self._labels(existing, new, current_labels, wanted_labels)
        for ticket in existing.values():
            if ticket.pk in label_changed and ticket not in changed:
                ticket.version += 1
                changed.append(ticket)
        if changed:
            for ticket in changed:
                ticket.updated_at = now
            Ticket.objects.bulk_update(changed, [*self.FIELDS, "version", "updated_at"], batch_size=BATCH)
        TicketEvent.objects.bulk_create(events, batch_size=BATCH)
        self.created += len(new)
        self.updated += len(changed)
        self.unchanged += len(existing) - len(changed)
        for ticket in [*new, *existing.values()]:
            self.ids[ticket.external_ref] = ticket.pk
        self._comments(issues)

    def _number(self, jira_key: str) -> int:
        """The Jira number when the project has the Jira project's key and the number is
        free (ML-42 stays ML-42), else the next free number."""
        prefix, _, digits = jira_key.rpartition("-")
        number = int(digits) if prefix == self.project.key and digits.isdigit() else 0
        if not 0 < number <= 2_000_000_000 or number in self.numbers:
            number = self.counter + 1
            while number in self.numbers:
                number += 1
        self.numbers.add(number)
        self.counter = max(self.counter, number)
        return number

    def _update(self, ticket: Ticket, values: dict, finished, issue: JiraIssue) -> list[tuple[str, str, str]]:
        """Set what the file changed. Returns a history line (field, old, new) per changed
        field; an empty list when nothing changed."""
        if issue.assignee and values["assignee_id"] is None:
            values["assignee_id"] = ticket.assignee_id  # an unmatched name keeps who is assigned here
        if issue.reporter and values["reporter_id"] is None:
            values["reporter_id"] = ticket.reporter_id
        values["custom_fields"] = {**ticket.custom_fields, **values["custom_fields"]}
        diff = []
        for name, value in values.items():
            old = getattr(ticket, name)
            if old == value:
                continue
            shown = name if name in self.HISTORY else "imported fields"
            diff.append((shown, "" if old is None or name not in self.HISTORY else str(old), ""))
            if name in self.HISTORY:
                diff[-1] = (shown, diff[-1][1], "" if value is None else str(value))
            setattr(ticket, name, value)
        if not diff:
            return []
        if any(name == "description" for name, *_ in diff):
            ticket.description_html = self.render(ticket.description)
        status = next(s for s in self.plan.status_ids.values() if s.pk == ticket.status_id)
        if not status.is_finished:
            ticket.finished_at = None
        elif ticket.finished_at is None:
            ticket.finished_at = finished
        ticket.version += 1
        history = [d for d in diff if d[0] != "imported fields"]
        return history or [("imported fields", "", "")]

    def _labels(self, existing, new, current, wanted) -> set[int]:
        """The labels each ticket has in the file, exactly; returns ids of tickets that changed."""
        through = Ticket.labels.through
        add, remove, changed = [], [], set()
        existing_ids = {t.pk for t in existing.values()}
        for ticket in [*existing.values(), *new]:
            want = wanted.get(ticket.external_ref, set())
            have = current.get(ticket.pk, set())
            add.extend(through(ticket_id=ticket.pk, label_id=label_id) for label_id in want - have)
            remove.extend((ticket.pk, label_id) for label_id in have - want)
            if want != have and ticket.pk in existing_ids:
                changed.add(ticket.pk)
        through.objects.bulk_create(add, batch_size=BATCH, ignore_conflicts=True)
        if remove:
            by_ticket: dict[int, list[int]] = {}
            for ticket_id, label_id in remove:
                by_ticket.setdefault(ticket_id, []).append(label_id)
            for ticket_id, label_ids in by_ticket.items():
                through.objects.filter(ticket_id=ticket_id, label_id__in=label_ids).delete()
        return changed

    def _comments(self, issues: list[JiraIssue]) -> None:
        """Comments not imported before (same ticket, body and time), with their Jira time;
        an author who is no member is named in the body."""
        ids = [self.ids[i.key] for i in issues if i.comments]
        if not ids:
            return
        seen_at, seen = set(), set()
        for ticket_id, body, created in Comment.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "body", "created_at"
        ):
            raw = JIRA_AUTHOR_NOTE.sub("", body, count=1)
            seen.add((ticket_id, raw))
            seen_at.add((ticket_id, raw, created))
        new = []
        for issue in issues:
            ticket_id = self.ids[issue.key]
            for jira_comment in issue.comments:
                raw = clip(jira_comment.body, self.comment_limit - 250)
                key = (ticket_id, raw)
                if (jira_comment.created and (*key, jira_comment.created) in seen_at) or (
                    not jira_comment.created and key in seen
                ):
                    continue
                seen.add(key)
                if jira_comment.created:
                    seen_at.add((*key, jira_comment.created))
                author = self.plan.users.get(jira_comment.author) if jira_comment.author else None
                body = raw
                if author is None and jira_comment.author:
                    name = "a Jira user" if ":" in jira_comment.author else jira_comment.author[:100]
                    body = f"**{name}** (Jira):\n\n{raw}"
                comment = Comment(ticket_id=ticket_id, author_id=author, body=body, body_html=self.render(body))
                comment.created_at = jira_comment.created or timezone.now()
                new.append(comment)
        if new:
            _bulk_create_dated(Comment, new)
            self.comments += len(new)

    def link_parents(self) -> int:
        """Set each ticket's parent (epic or story) from the file, once every ticket exists."""
        if not self.plan.parents and not any(self.parent_now.values()):
            return 0
        missing = [k for k in self.plan.parents.values() if k not in self.ids]
        if missing:
            self.ids.update(
                Ticket.objects.filter(project=self.project, external_ref__in=missing).values_list("external_ref", "id")
            )
        changed = []
        for key, ticket_id in self.ids.items():
            parent_key = self.plan.parents.get(key)
            want = self.ids.get(parent_key) if parent_key else None
            if want != self.parent_now.get(key) and key in self.parent_now:
                changed.append(Ticket(pk=ticket_id, parent_id=want))
        # A parent whose own parent is the child would loop: Jira never exports one, but a
        # re-import after a move here could; such a link is dropped.
        parent_of = {t.pk: t.parent_id for t in changed}
        for ticket in changed:
            seen, node = {ticket.pk}, ticket.parent_id
            while node is not None:
                if node in seen:
                    ticket.parent_id = None
                    self.errors.append(f"Ticket {ticket.pk}: its parent link would make a loop and was dropped.")
                    break
                seen.add(node)
                node = parent_of.get(node)
        _update_by_id(Ticket, "parent", [(t.pk, t.parent_id) for t in changed])
        return sum(1 for t in changed if t.parent_id is not None)

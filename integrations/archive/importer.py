"""Writing an archive back as a new project, in one transaction: everything or nothing.

Users are matched by e-mail (case-insensitive), then by username; anyone unknown is created
inactive with no password, so authorship survives and nobody can sign in as them until an
admin activates them. The importer becomes an admin of the new project. Ticket keys (and
mentions of them in text) take the new key; numbers, ranks, versions and every timestamp
are kept. HTML is rendered again from the Markdown (never taken from the archive)."""

import re
import zipfile

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Lower

from aihub.markdown import render_markdown
from docs_hub import services as docs_services
from docs_hub.models import Doc, DocAttachment, DocRevision, DocSlugAlias, DocTemplate, StatusReport
from docs_hub.rendering import render_doc
from experiments.models import (
    Experiment,
    MetricGate,
    MlflowSource,
    Run,
    RunLink,
    RunTablePreference,
    Sentinel,
    Target,
)
from projects.models import (
    Comment,
    CustomField,
    ExitCriterion,
    Label,
    Membership,
    Milestone,
    PhaseTransition,
    Project,
    Risk,
    Role,
    SavedView,
    Sprint,
    Ticket,
    TicketEvent,
    TicketRelation,
    WorkflowStatus,
    project_key_validator,
)
from projects.ticket_links import render_ticket_markdown

from .format import ATTACHMENT_MEMBER, EVENT_DATA_REFS, PROJECT_FIELDS, RUN_FIELDS, ArchiveError, member_read

User = get_user_model()


def _rows(data: dict, name: str, where: str = "") -> list[dict]:
    value = data.get(name, [])
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise ArchiveError(f"{where}{name}: expected a list of objects.")
    return value


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(problems)}" for field, problems in error.message_dict.items())
    return " ".join(error.messages)


def _build(model: type[models.Model], row: dict, names, where: str, **extra) -> models.Model:
    """A model instance from an archive row: each named field converted and validated like a
    form would (types, choices, lengths, validators), with no query."""
    obj = model(**extra)
    for name in names:
        field = model._meta.get_field(name)
        value = row.get(name, field.get_default())
        try:
            value = None if value is None else field.to_python(value)
        except ValidationError as error:
            raise ArchiveError(f"{where}: {name}: {_messages(error)}") from error
        setattr(obj, field.attname, value)
    skip = [f.name for f in model._meta.concrete_fields if f.name not in names or f.is_relation]
    try:
        obj.clean_fields(exclude=skip)
    except ValidationError as error:
        raise ArchiveError(f"{where}: {_messages(error)}") from error
    return obj


def _keep_times(model, objs: list, stamps: tuple[str, ...]) -> None:
    """bulk_create, then put back the archive's times (auto_now fields set "now" on insert)."""
    kept = [[getattr(obj, name) for name in stamps] for obj in objs]
    model.objects.bulk_create(objs, batch_size=500)
    if not stamps or not objs:
        return
    for obj, values in zip(objs, kept, strict=True):
        for name, value in zip(stamps, values, strict=True):
            if value is not None:  # a time the archive leaves out is the time of the import
                setattr(obj, name, value)
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, list(stamps), batch_size=500)
        return
    # One UPDATE ... FROM (VALUES ...) per 1,000 rows (bulk_update's CASE per row is slow).
    meta = model._meta
    columns = [meta.get_field(name).column for name in stamps]
    table, pk = connection.ops.quote_name(meta.db_table), connection.ops.quote_name(meta.pk.column)
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = v.c{i}" for i, c in enumerate(columns))
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    row = "(%s, " + ", ".join("%s::timestamptz" for _ in columns) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), 1000):
            chunk = objs[start : start + 1000]
            params = [value for obj in chunk for value in (obj.pk, *(getattr(obj, name) for name in stamps))]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(chunk))}) "
                f"AS v(id, {names}) WHERE {table}.{pk} = v.id",
                params,
            )


class _Import:
    def __init__(self, *, data: dict, archive: zipfile.ZipFile, key: str, user, files: list):
        self.data, self.archive, self.key, self.importer, self.files = data, archive, key, user, files
        self.count = 0
        project = data.get("project")
        if not isinstance(project, dict):
            raise ArchiveError("project: expected an object.")
        self.old_key = str(project.get("key") or "")
        tickets = _rows(data, "tickets")
        numbers = [row.get("number") for row in tickets]
        if not all(isinstance(n, int) and n > 0 for n in numbers) or len(set(numbers)) != len(numbers):
            raise ArchiveError("tickets: every ticket needs a distinct positive number.")
        self.numbers = set(numbers)
        self.keys = {f"{key}-{n}" for n in numbers}
        self.mention = (
            re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(self.old_key)}-([0-9]+)\b")
            if self.old_key and self.old_key != key
            else None
        )

    # --- references ----------------------------------------------------------------------

    def rekey(self, text):
        """Mentions of the archive's tickets (`CV-12`) take the new key (`NEW-12`)."""
        if not isinstance(text, str) or self.mention is None:
            return text
        return self.mention.sub(
            lambda m: f"{self.key}-{m.group(1)}" if int(m.group(1)) in self.numbers else m.group(0), text
        )

    def markdown(self, text: str) -> str:
        """Sanitized HTML of a ticket-style text: mentions of the new project's tickets link."""
        return render_ticket_markdown(text, project=self.project, known_keys=self.keys)

    def user(self, name, where: str):
        if name in (None, ""):
            return None
        found = self.users.get(name) if isinstance(name, str) else None
        if found is None:
            raise ArchiveError(f"{where}: user {str(name)[:150]!r} is not in the archive's users.")
        return found

    def ref(self, table: dict, value, where: str, what: str, *, optional=True):
        if value is None and optional:
            return None
        found = table.get(value) if isinstance(value, int) else None
        if found is None:
            raise ArchiveError(f"{where}: no {what} {str(value)[:50]!r} in the archive.")
        return found

    def done(self, n: int) -> None:
        self.count += n

    # --- parts ---------------------------------------------------------------------------

    def users_match(self) -> None:
        self.users, unknown = users_resolve(self.data)
        check_may_create_users(self.importer, unknown)
        self.users_created = []
        for username, row in unknown.items():
            user = User(
                username=username,
                email=str(row.get("email") or "").strip(),
                display_name=str(row.get("display_name") or "")[:150],
                first_name=str(row.get("first_name") or "")[:150],
                last_name=str(row.get("last_name") or "")[:150],
                is_active=False,
            )
            user.set_unusable_password()
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as error:
                raise ArchiveError(f"users: {username[:150]!r}: {_messages(error)}") from error
            user.save()
            self.users_created.append(username)
            self.users[username] = user

    def project_create(self) -> Project:
        row = dict(self.data["project"])
        row["key"] = self.key
        for name in ("description", "objectives"):
            row[name] = self.rekey(row.get(name) or "")
        names = [n for n in PROJECT_FIELDS if n != "created_at"]
        project = _build(Project, row, names, "project")
        project.created_by = self.user(row.get("created_by"), "project.created_by")
        project.description_html = render_markdown(project.description)
        project.objectives_html = render_markdown(project.objectives)
        created_at = _build(Project, row, ["created_at"], "project").created_at
        counter = max([project.ticket_counter or 0, *self.numbers])
        project.ticket_counter = counter
        project.save()
        Project.objects.filter(pk=project.pk).update(created_at=created_at or project.created_at)
        self.project = project
        self.done(1)
        return project

    def members(self) -> None:
        roles: dict[int, tuple[User, str, object]] = {}
        for i, row in enumerate(_rows(self.data, "members")):
            where = f"members[{i}]"
            member = _build(Membership, row, ["role", "created_at"], where, project=self.project)
            user = self.user(row.get("user"), where)
            if user is None:
                raise ArchiveError(f"{where}: a member needs a user.")
            rank = [Role.VIEWER, Role.MEMBER, Role.ADMIN].index(member.role)
            held = roles.get(user.pk)
            if held is None or rank > [Role.VIEWER, Role.MEMBER, Role.ADMIN].index(held[1]):
                roles[user.pk] = (user, member.role, member.created_at)
        held = roles.get(self.importer.pk)
        roles[self.importer.pk] = (self.importer, Role.ADMIN, held[2] if held else None)
        objs = [Membership(project=self.project, user=user, role=role) for user, role, _ in roles.values()]
        stamps = [when for _, _, when in roles.values()]
        Membership.objects.bulk_create(objs)
        for obj, when in zip(objs, stamps, strict=True):
            obj.created_at = when or obj.created_at
        Membership.objects.bulk_update(objs, ["created_at"])
        self.done(len(objs))

    def planning(self) -> None:
        statuses = [
            _build(
                WorkflowStatus,
                row,
                ["slug", "name", "position", "is_finished", "wip_limit"],
                f"statuses[{i}]",
                project=self.project,
            )
            for i, row in enumerate(_rows(self.data, "statuses"))
        ]
        if not statuses:
            raise ArchiveError("statuses: a project needs a workflow.")
        WorkflowStatus.objects.bulk_create(statuses)
        self.statuses = {s.slug: s for s in statuses}
        labels = [
            _build(Label, row, ["name", "color"], f"labels[{i}]", project=self.project)
            for i, row in enumerate(_rows(self.data, "labels"))
        ]
        Label.objects.bulk_create(labels)
        self.labels = {label.name: label for label in labels}
        fields = [
            _build(
                CustomField,
                row,
                ["key", "name", "field_type", "options", "position", "show_on_card", "created_at"],
                f"custom_fields[{i}]",
                project=self.project,
            )
            for i, row in enumerate(_rows(self.data, "custom_fields"))
        ]
        _keep_times(CustomField, fields, ("created_at",))
        self.sprints = {}
        sprints = []
        for i, row in enumerate(_rows(self.data, "sprints")):
            where = f"sprints[{i}]"
            sprint = _build(
                Sprint,
                row,
                [
                    "name",
                    "goal",
                    "start_date",
                    "end_date",
                    "capacity",
                    "state",
                    "started_at",
                    "completed_at",
                    "created_at",
                ],
                where,
                project=self.project,
            )
            if not isinstance(row.get("ref"), int) or row["ref"] in self.sprints:
                raise ArchiveError(f"{where}: a sprint needs a distinct ref.")
            self.sprints[row["ref"]] = sprint
            sprints.append(sprint)
        _keep_times(Sprint, sprints, ("created_at",))
        self.done(len(statuses) + len(labels) + len(fields) + len(sprints))

    def tickets(self) -> None:
        rows = _rows(self.data, "tickets")
        tickets = []
        for i, row in enumerate(rows):
            where = f"tickets[{i}]"
            row = {**row, **{n: self.rekey(row.get(n) or "") for n in ("title", "description", "acceptance_criteria")}}
            ticket = _build(
                Ticket,
                row,
                [
                    "number",
                    "title",
                    "description",
                    "type",
                    "priority",
                    "estimate",
                    "due_date",
                    "acceptance_criteria",
                    "rank",
                    "version",
                    "custom_fields",
                    "alert_fingerprint",
                    "external_ref",
                    "finished_at",
                    "created_at",
                    "updated_at",
                ],
                where,
                project=self.project,
            )
            ticket.key = f"{self.key}-{ticket.number}"
            status = self.statuses.get(row.get("status"))
            if status is None:
                raise ArchiveError(f"{where}: unknown status {str(row.get('status'))[:60]!r}.")
            ticket.status = status
            ticket.assignee = self.user(row.get("assignee"), f"{where}.assignee")
            ticket.reporter = self.user(row.get("reporter"), f"{where}.reporter")
            ticket.sprint = self.ref(self.sprints, row.get("sprint"), where, "sprint")
            if not isinstance(ticket.custom_fields, dict):
                raise ArchiveError(f"{where}: custom_fields must be an object.")
            ticket.description_html = self.markdown(ticket.description)
            ticket.acceptance_criteria_html = self.markdown(ticket.acceptance_criteria)
            tickets.append(ticket)
        _keep_times(Ticket, tickets, ("created_at", "updated_at"))
        self.tickets_by_number = {t.number: t for t in tickets}
        with_parent = []
        links = []
        for i, (row, ticket) in enumerate(zip(rows, tickets, strict=True)):
            where = f"tickets[{i}]"
            if row.get("parent") is not None:
                ticket.parent = self.ref(self.tickets_by_number, row["parent"], where, "parent ticket")
                with_parent.append(ticket)
            names = row.get("labels") or []
            if not isinstance(names, list):
                raise ArchiveError(f"{where}: labels must be a list of names.")
            for name in dict.fromkeys(names):
                label = self.labels.get(name) if isinstance(name, str) else None
                if label is None:
                    raise ArchiveError(f"{where}: unknown label {str(name)[:60]!r}.")
                links.append(Ticket.labels.through(ticket_id=ticket.pk, label_id=label.pk))
        Ticket.objects.bulk_update(with_parent, ["parent"], batch_size=500)
        Ticket.labels.through.objects.bulk_create(links, batch_size=1000)
        self.done(len(tickets))
        self._history(rows, tickets)

    def _history(self, rows, tickets) -> None:
        comments, comment_refs = [], {}
        for i, (row, ticket) in enumerate(zip(rows, tickets, strict=True)):
            for j, item in enumerate(_rows(row, "comments", f"tickets[{i}].")):
                where = f"tickets[{i}].comments[{j}]"
                item = {**item, "body": self.rekey(item.get("body") or "")}
                comment = _build(Comment, item, ["body", "created_at", "updated_at"], where, ticket=ticket)
                if not comment.body.strip():
                    raise ArchiveError(f"{where}: a comment needs a body.")
                comment.author = self.user(item.get("author"), where)
                comment.body_html = self.markdown(comment.body)
                if not isinstance(item.get("ref"), int) or item["ref"] in comment_refs:
                    raise ArchiveError(f"{where}: a comment needs a distinct ref.")
                comment_refs[item["ref"]] = comment
                comments.append(comment)
        _keep_times(Comment, comments, ("created_at", "updated_at"))
        self.comments = comment_refs
        self.pending_events = []
        for i, (row, ticket) in enumerate(zip(rows, tickets, strict=True)):
            for j, item in enumerate(_rows(row, "events", f"tickets[{i}].")):
                where = f"tickets[{i}].events[{j}]"
                item = {
                    **item,
                    "old_value": self.rekey(item.get("old_value") or ""),
                    "new_value": self.rekey(item.get("new_value") or ""),
                }
                event = _build(
                    TicketEvent,
                    item,
                    ["kind", "field", "old_value", "new_value", "data", "created_at"],
                    where,
                    ticket=ticket,
                )
                event.actor = self.user(item.get("actor"), where)
                if not isinstance(event.data, dict):
                    raise ArchiveError(f"{where}: data must be an object.")
                self.pending_events.append((event, where))
        self.done(len(comments))

    def events(self) -> None:
        """History lines, once sprints, comments and risks exist (their data names them)."""
        tables = {"sprint": self.sprints, "comment": self.comments, "risk": self.risks}
        events = []
        for event, where in self.pending_events:
            data = dict(event.data)
            for key, kind in EVENT_DATA_REFS.items():
                if data.get(key) is not None:
                    data[key] = self.ref(tables[kind], data[key], f"{where}.data.{key}", kind).pk
            event.data = data
            events.append(event)
        _keep_times(TicketEvent, events, ("created_at",))
        self.done(len(events))

    def relations(self) -> None:
        relations = []
        for i, row in enumerate(_rows(self.data, "relations")):
            where = f"relations[{i}]"
            relation = _build(TicketRelation, row, ["kind", "created_at"], where)
            relation.source = self.ref(self.tickets_by_number, row.get("source"), where, "ticket", optional=False)
            relation.target = self.ref(self.tickets_by_number, row.get("target"), where, "ticket", optional=False)
            relation.created_by = self.user(row.get("created_by"), where)
            relations.append(relation)
        _keep_times(TicketRelation, relations, ("created_at",))
        views = []
        for i, row in enumerate(_rows(self.data, "saved_views")):
            where = f"saved_views[{i}]"
            view = _build(SavedView, row, ["name", "filters", "shared", "created_at"], where, project=self.project)
            owner = self.user(row.get("owner"), where)
            if owner is None or not isinstance(view.filters, dict):
                raise ArchiveError(f"{where}: a saved view needs an owner and filters.")
            view.owner = owner
            filters = {k: self.rekey(v) for k, v in view.filters.items()}
            sprint = filters.get("sprint")
            if isinstance(sprint, str) and sprint.startswith("ref:"):
                found = self.sprints.get(int(sprint[4:])) if sprint[4:].isdigit() else None
                filters["sprint"] = str(found.pk) if found else "0"
            view.filters = filters
            views.append(view)
        _keep_times(SavedView, views, ("created_at",))
        self.done(len(relations) + len(views))

    def risks_and_lifecycle(self) -> None:
        self.risks, risks, risk_rows = {}, [], _rows(self.data, "risks")
        for i, row in enumerate(risk_rows):
            where = f"risks[{i}]"
            row = {**row, "description": self.rekey(row.get("description") or "")}
            risk = _build(
                Risk,
                row,
                [
                    "title",
                    "description",
                    "likelihood",
                    "impact",
                    "mitigation",
                    "status",
                    "review_date",
                    "version",
                    "closed_at",
                    "created_at",
                    "updated_at",
                ],
                where,
                project=self.project,
            )
            risk.owner = self.user(row.get("owner"), where)
            risk.created_by = self.user(row.get("created_by"), where)
            risk.description_html = self.markdown(risk.description)
            if not isinstance(row.get("ref"), int) or row["ref"] in self.risks:
                raise ArchiveError(f"{where}: a risk needs a distinct ref.")
            self.risks[row["ref"]] = risk
            risks.append(risk)
        _keep_times(Risk, risks, ("created_at", "updated_at"))
        self._many(Risk.tickets.through, risks, risk_rows, "tickets", "risk_id", "risks")
        criteria, by_ref = [], {}
        for i, row in enumerate(_rows(self.data, "exit_criteria")):
            where = f"exit_criteria[{i}]"
            criterion = _build(
                ExitCriterion,
                row,
                ["phase", "text", "position", "done", "done_at", "created_at"],
                where,
                project=self.project,
            )
            criterion.done_by = self.user(row.get("done_by"), where)
            if not isinstance(row.get("ref"), int) or row["ref"] in by_ref:
                raise ArchiveError(f"{where}: an exit criterion needs a distinct ref.")
            by_ref[row["ref"]] = criterion
            criteria.append(criterion)
        _keep_times(ExitCriterion, criteria, ("created_at",))
        transitions = []
        for i, row in enumerate(_rows(self.data, "phase_transitions")):
            where = f"phase_transitions[{i}]"
            transition = _build(
                PhaseTransition,
                row,
                ["from_phase", "to_phase", "checklist", "overridden", "override_reason", "created_at"],
                where,
                project=self.project,
            )
            transition.actor = self.user(row.get("actor"), where)
            if not isinstance(transition.checklist, list):
                raise ArchiveError(f"{where}: checklist must be a list.")
            checklist = []
            for item in transition.checklist:
                if not isinstance(item, dict):
                    raise ArchiveError(f"{where}: checklist items must be objects.")
                item = dict(item)
                ref = item.pop("ref", None)
                found = by_ref.get(ref) if isinstance(ref, int) else None
                checklist.append({"id": found.pk if found else None, **item})
            transition.checklist = checklist
            transitions.append(transition)
        _keep_times(PhaseTransition, transitions, ("created_at",))
        milestones, milestone_rows = [], _rows(self.data, "milestones")
        for i, row in enumerate(milestone_rows):
            where = f"milestones[{i}]"
            row = {**row, "description": self.rekey(row.get("description") or "")}
            milestone = _build(
                Milestone,
                row,
                ["name", "description", "due_date", "completed_at", "version", "created_at", "updated_at"],
                where,
                project=self.project,
            )
            milestone.created_by = self.user(row.get("created_by"), where)
            milestone.description_html = self.markdown(milestone.description)
            milestones.append(milestone)
        _keep_times(Milestone, milestones, ("created_at", "updated_at"))
        self._many(Milestone.epics.through, milestones, milestone_rows, "epics", "milestone_id", "milestones")
        self.done(len(risks) + len(criteria) + len(transitions) + len(milestones))

    def _many(self, through, objs, rows, name: str, owner_field: str, part: str) -> None:
        links = []
        for i, (obj, row) in enumerate(zip(objs, rows, strict=True)):
            numbers = row.get(name) or []
            if not isinstance(numbers, list):
                raise ArchiveError(f"{part}[{i}].{name}: expected a list of ticket numbers.")
            for number in dict.fromkeys(numbers):
                ticket = self.ref(self.tickets_by_number, number, f"{part}[{i}].{name}", "ticket", optional=False)
                links.append(through(**{owner_field: obj.pk, "ticket_id": ticket.pk}))
        through.objects.bulk_create(links, batch_size=1000)

    def docs(self) -> None:
        rows = _rows(self.data, "docs")
        docs, by_ref = [], {}
        for i, row in enumerate(rows):
            where = f"docs[{i}]"
            row = {**row, "body": self.rekey(row.get("body") or "")}
            doc = _build(
                Doc,
                row,
                ["position", "title", "slug", "body", "version", "created_at", "updated_at", "deleted_at"],
                where,
                project=self.project,
            )
            doc.created_by = self.user(row.get("created_by"), where)
            doc.updated_by = self.user(row.get("updated_by"), where)
            doc.deleted_by = self.user(row.get("deleted_by"), where)
            if not isinstance(row.get("ref"), int) or row["ref"] in by_ref:
                raise ArchiveError(f"{where}: a doc needs a distinct ref.")
            by_ref[row["ref"]] = doc
            docs.append(doc)
        _keep_times(Doc, docs, ("created_at", "updated_at"))
        with_parent = []
        for i, (row, doc) in enumerate(zip(rows, docs, strict=True)):
            if row.get("parent") is not None:
                doc.parent = self.ref(by_ref, row["parent"], f"docs[{i}]", "parent doc")
                with_parent.append(doc)
        Doc.objects.bulk_update(with_parent, ["parent"])
        revisions, aliases, attachments = [], [], []
        for i, (row, doc) in enumerate(zip(rows, docs, strict=True)):
            for j, item in enumerate(_rows(row, "revisions", f"docs[{i}].")):
                where = f"docs[{i}].revisions[{j}]"
                item = {**item, "body": self.rekey(item.get("body") or "")}
                revision = _build(
                    DocRevision,
                    item,
                    ["version", "title", "body", "macro_values", "message", "created_at"],
                    where,
                    doc=doc,
                )
                revision.author = self.user(item.get("author"), where)
                rendered = render_doc(project=self.project, body=revision.body)
                revision.body_html, revision.toc_html, revision.macros = (
                    rendered.html,
                    rendered.toc_html,
                    rendered.macros,
                )
                if not isinstance(revision.macro_values, list) or not all(
                    isinstance(v, dict) for v in revision.macro_values
                ):
                    raise ArchiveError(f"{where}: macro_values must be a list of objects.")
                revisions.append(revision)
            for j, item in enumerate(_rows(row, "aliases", f"docs[{i}].")):
                aliases.append(
                    _build(
                        DocSlugAlias,
                        item,
                        ["slug", "title", "created_at"],
                        f"docs[{i}].aliases[{j}]",
                        doc=doc,
                        project=self.project,
                    )
                )
            for j, item in enumerate(_rows(row, "attachments", f"docs[{i}].")):
                attachments.append(self._attachment(doc, item, f"docs[{i}].attachments[{j}]"))
        _keep_times(DocRevision, revisions, ("created_at",))
        _keep_times(DocSlugAlias, aliases, ("created_at",))
        _keep_times(DocAttachment, attachments, ("created_at",))
        templates = []
        for i, row in enumerate(_rows(self.data, "doc_templates")):
            where = f"doc_templates[{i}]"
            row = {**row, "body": self.rekey(row.get("body") or "")}
            template = _build(
                DocTemplate, row, ["slug", "name", "description", "body", "created_at"], where, project=self.project
            )
            template.created_by = self.user(row.get("created_by"), where)
            templates.append(template)
        _keep_times(DocTemplate, templates, ("created_at",))
        reports = []
        for i, row in enumerate(_rows(self.data, "status_reports")):
            where = f"status_reports[{i}]"
            report = _build(
                StatusReport, row, ["period", "trigger", "generated_at", "figures"], where, project=self.project
            )
            report.doc = self.ref(by_ref, row.get("doc"), where, "doc")
            report.created_by = self.user(row.get("created_by"), where)
            reports.append(report)
        StatusReport.objects.bulk_create(reports)
        # HTML, links and backlinks from the text, now that every page exists.
        docs_services.doc_rerender(doc_ids=[d.pk for d in docs if d.deleted_at is None])
        for doc in docs:
            if doc.deleted_at is not None:
                rendered = render_doc(project=self.project, body=doc.body)
                Doc.objects.filter(pk=doc.pk).update(
                    body_html=rendered.html, toc_html=rendered.toc_html, macros=rendered.macros
                )
        self.done(len(docs) + len(revisions) + len(aliases) + len(attachments) + len(templates) + len(reports))

    def _attachment(self, doc: Doc, item: dict, where: str) -> DocAttachment:
        attachment = _build(DocAttachment, item, ["name", "content_type", "created_at"], where, doc=doc, size=0)
        attachment.uploaded_by = self.user(item.get("uploaded_by"), where)
        member = item.get("file")
        if not isinstance(member, str) or not ATTACHMENT_MEMBER.match(member):
            raise ArchiveError(f"{where}: file {str(member)[:200]!r} is not an attachment path of this format.")
        content = member_read(self.archive, member)
        attachment.size = len(content)
        attachment.file.save(attachment.name or "file", ContentFile(content), save=False)
        self.files.append(attachment.file.name)
        return attachment

    def mlflow(self) -> None:
        part = self.data.get("mlflow") or {}
        if not isinstance(part, dict):
            raise ArchiveError("mlflow: expected an object.")
        sources = {}
        for i, row in enumerate(_rows(part, "sources", "mlflow.")):
            where = f"mlflow.sources[{i}]"
            source = _build(
                MlflowSource,
                row,
                [
                    "name",
                    "tracking_uri",
                    "experiment_names",
                    "username",
                    "credentials_from_env",
                    "enabled",
                    "fast_interval_seconds",
                    "reconcile_interval_seconds",
                    "created_at",
                ],
                where,
                project=self.project,
            )
            source.created_by = self.user(row.get("created_by"), where)
            if not isinstance(row.get("ref"), int) or row["ref"] in sources:
                raise ArchiveError(f"{where}: a source needs a distinct ref.")
            sources[row["ref"]] = source
        _keep_times(MlflowSource, list(sources.values()), ("created_at",))
        experiments = {}
        for i, row in enumerate(_rows(part, "experiments", "mlflow.")):
            where = f"mlflow.experiments[{i}]"
            source = self.ref(sources, row.get("source"), where, "source", optional=False)
            experiment = _build(
                Experiment,
                row,
                ["experiment_id", "name", "lifecycle_stage", "artifact_location"],
                where,
                source=source,
            )
            experiments[(row.get("source"), experiment.experiment_id)] = experiment
        Experiment.objects.bulk_create(list(experiments.values()))
        runs = {}
        for i, row in enumerate(_rows(part, "runs", "mlflow.")):
            where = f"mlflow.runs[{i}]"
            source = self.ref(sources, row.get("source"), where, "source", optional=False)
            experiment = experiments.get((row.get("source"), str(row.get("experiment_id"))))
            if experiment is None:
                raise ArchiveError(f"{where}: no experiment {str(row.get('experiment_id'))[:60]!r} in the archive.")
            run = _build(
                Run,
                row,
                list(RUN_FIELDS),
                where,
                project=self.project,
                source=source,
                experiment=experiment,
                fingerprint="",  # the next sync of the source refreshes the run and its histories
                metric_marks={},
            )
            runs[(row.get("source"), run.run_id)] = run
        Run.objects.bulk_create(list(runs.values()), batch_size=500)
        links = []
        for i, row in enumerate(_rows(part, "run_links", "mlflow.")):
            where = f"mlflow.run_links[{i}]"
            link = _build(RunLink, row, ["origin", "active", "created_at"], where)
            run = runs.get((row.get("source"), row.get("run_id")))
            if run is None:
                raise ArchiveError(f"{where}: no run {str(row.get('run_id'))[:64]!r} in the archive.")
            link.run = run
            link.ticket = self.ref(self.tickets_by_number, row.get("ticket"), where, "ticket", optional=False)
            link.created_by = self.user(row.get("created_by"), where)
            links.append(link)
        _keep_times(RunLink, links, ("created_at",))
        gates = []
        for i, row in enumerate(_rows(part, "gates", "mlflow.")):
            where = f"mlflow.gates[{i}]"
            gate = _build(MetricGate, row, ["metric", "op", "threshold", "created_at"], where)
            gate.ticket = self.ref(self.tickets_by_number, row.get("ticket"), where, "ticket", optional=False)
            gate.created_by = self.user(row.get("created_by"), where)
            gates.append(gate)
        _keep_times(MetricGate, gates, ("created_at",))
        targets = []
        for i, row in enumerate(_rows(part, "targets", "mlflow.")):
            where = f"mlflow.targets[{i}]"
            target = _build(
                Target,
                row,
                ["metric", "direction", "target", "baseline", "deadline", "primary", "created_at", "updated_at"],
                where,
                project=self.project,
            )
            target.created_by = self.user(row.get("created_by"), where)
            targets.append(target)
        _keep_times(Target, targets, ("created_at", "updated_at"))
        sentinel = part.get("sentinel")
        if sentinel is not None:
            if not isinstance(sentinel, dict):
                raise ArchiveError("mlflow.sentinel: expected an object.")
            found = _build(
                Sentinel,
                sentinel,
                [
                    "champion_kind",
                    "model_name",
                    "alias",
                    "champion_run_id",
                    "metric",
                    "higher_is_better",
                    "tolerance",
                    "since",
                ],
                "mlflow.sentinel",
                project=self.project,
            )
            found.regression_ticket = self.ref(
                self.tickets_by_number, sentinel.get("regression_ticket"), "mlflow.sentinel", "ticket"
            )
            found.save()
        preferences = []
        for i, row in enumerate(_rows(part, "run_table_preferences", "mlflow.")):
            where = f"mlflow.run_table_preferences[{i}]"
            preference = _build(RunTablePreference, row, ["metrics", "params"], where, project=self.project)
            owner = self.user(row.get("user"), where)
            if owner is None:
                raise ArchiveError(f"{where}: a preference needs a user.")
            preference.user = owner
            preferences.append(preference)
        RunTablePreference.objects.bulk_create(preferences)
        self.done(len(sources) + len(experiments) + len(runs) + len(links) + len(gates) + len(targets))

    def run(self) -> Project:
        self.users_match()
        self.project_create()
        self.members()
        self.planning()
        self.tickets()
        self.relations()
        self.risks_and_lifecycle()
        self.events()
        self.docs()
        self.mlflow()
        return self.project


def users_resolve(data: dict) -> tuple[dict[str, "User"], dict[str, dict]]:
    """The archive's users matched to this instance's accounts, by e-mail (case-insensitive,
    when exactly one account has it) then by username; and those with no account."""
    wanted = {}
    for i, row in enumerate(_rows(data, "users")):
        username = row.get("username")
        if not isinstance(username, str) or not username.strip() or len(username) > 150:
            raise ArchiveError(f"users[{i}]: a username is required.")
        wanted[username] = row
    emails = {str(r.get("email") or "").strip().lower() for r in wanted.values()} - {""}
    by_email: dict[str, list] = {}
    for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails):
        by_email.setdefault(user.email_lower, []).append(user)
    by_name = {u.username: u for u in User.objects.filter(username__in=list(wanted))}
    found, unknown = {}, {}
    for username, row in wanted.items():
        email = str(row.get("email") or "").strip()
        matches = by_email.get(email.lower(), []) if email else []
        user = matches[0] if len(matches) == 1 else by_name.get(username)
        if user is None:
            unknown[username] = row
        else:
            found[username] = user
    return found, unknown


def check_may_create_users(importer, unknown: dict) -> None:
    """Only an instance admin (staff) may bring in people this instance has no account for
    (created inactive): anyone else could otherwise create accounts at will."""
    if unknown and not (importer.is_staff or importer.is_superuser):
        names = ", ".join(sorted(unknown)[:10]) + (" …" if len(unknown) > 10 else "")
        raise ArchiveError(
            f"{len(unknown)} people in the archive have no account here ({names}). An instance admin (staff) "
            "can import it, which creates them as inactive accounts; or create their accounts first "
            "(matched by e-mail, then username)."
        )


def key_check(key: str) -> str:
    """The new project's key, valid and free, or a ValidationError on `key`."""
    key = (key or "").strip()
    try:
        project_key_validator(key)
    except ValidationError as error:
        raise ValidationError({"key": error.messages}) from error
    if Project.objects.filter(key__iexact=key).exists():
        raise ValidationError({"key": [f"The key {key} is taken by another project."]})
    return key


def project_import(*, data: dict, archive: zipfile.ZipFile, key: str, user) -> tuple[Project, dict]:
    """Write the archive as a new project with `key`, all in one transaction; returns the
    project and a summary. Raises ArchiveError (nothing written, no file left) on any problem
    with the archive, or ValidationError on the key."""
    files: list[str] = []
    try:
        with transaction.atomic():
            key = key_check(key)
            work = _Import(data=data, archive=archive, key=key, user=user, files=files)
            project = work.run()
    except IntegrityError as error:
        _remove(files)
        raise ArchiveError(f"The archive breaks a rule of the database: {str(error).splitlines()[0][:300]}") from error
    except BaseException:
        _remove(files)
        raise
    summary = {
        "project": project.key,
        "objects": work.count,
        "tickets": len(work.tickets_by_number),
        "users_created": sorted(work.users_created),
    }
    return project, summary


def _remove(files: list[str]) -> None:
    storage = DocAttachment._meta.get_field("file").storage
    for name in files:
        storage.delete(name)

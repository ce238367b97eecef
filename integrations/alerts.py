"""Alertmanager intake: a project's receiver for Alertmanager's webhook payload (version 4).

Each firing alert, by its fingerprint, opens one ticket (type bug) and never a second one
while it keeps firing; a repeat adds nothing, or one comment once the intake's interval has
passed since the last. A resolved alert adds a comment (with its endsAt) and, when the intake
names a status, moves the ticket there. An alert firing again after it resolved reopens the
same ticket with a comment (back to the workflow's first open column when it sits in a finished
status or in the status resolved alerts move to): one fingerprint, one
ticket, one history. A payload is checked whole before anything is written and written in
one transaction, so a refused payload leaves nothing behind but its line in the log."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import ApiToken
from experiments.models import ModelVersion, Run
from experiments.services.links import run_link
from projects.models import Project, Ticket, TicketType, WorkflowStatus
from projects.services.board import ticket_move
from projects.services.comments import comment_create
from projects.services.tickets import ticket_create

from .models import AlertDelivery, AlertIntake, AlertTicket

logger = logging.getLogger(__name__)
User = get_user_model()

TOKEN_PREFIX = "aia_"
# The labels that name an alert in its title and become ticket labels (when present).
TITLE_LABELS = ("service", "model", "registered_model", "job", "instance")
LABEL_KEYS = ("alertname", "severity", "service", "model", "registered_model", "team")
MODEL_LABELS = ("registered_model", "model", "model_name")
RUNS_PER_MODEL = 5
MAX_ALERTS = 1000
DESCRIPTION_LIMIT = 20_000  # aihub.limits: projects.Ticket.description


class PayloadError(Exception):
    """The payload is not an Alertmanager webhook payload (version 4); the message says why."""


@dataclass
class Alert:
    status: str
    fingerprint: str
    labels: dict
    annotations: dict
    starts_at: str
    ends_at: str
    generator_url: str


def token_hash(raw: str) -> str:
    return ApiToken.hash(raw)


@transaction.atomic
def alert_intake_token_rotate(*, project: Project, user: User | None) -> tuple[AlertIntake, str]:
    """Create the project's intake, or give it a new token (the old one stops working).
    Returns the intake and the raw token, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    intake, created = AlertIntake.objects.select_for_update().get_or_create(
        project=project,
        defaults={"token_hash": token_hash(raw), "token_hint": raw[:10], "created_by": user},
    )
    if not created:
        intake.token_hash = token_hash(raw)
        intake.token_hint = raw[:10]
        intake.token_rotated_at = timezone.now()
        intake.save(update_fields=["token_hash", "token_hint", "token_rotated_at"])
    return intake, raw


def alert_intake_update(*, intake: AlertIntake, repeat_comment_minutes: int, resolve_status: str) -> AlertIntake:
    resolve_status = (resolve_status or "").strip()
    if resolve_status and not WorkflowStatus.objects.filter(project_id=intake.project_id, slug=resolve_status).exists():
        raise ValidationError({"resolve_status": [f"“{resolve_status}” is not a status of this project's workflow."]})
    intake.repeat_comment_minutes = repeat_comment_minutes
    intake.resolve_status = resolve_status
    intake.full_clean()
    intake.save(update_fields=["repeat_comment_minutes", "resolve_status"])
    return intake


def _str_dict(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise PayloadError(f"{where} must be an object of strings.")
    return value


def payload_parse(payload) -> list[Alert]:
    """The alerts of an Alertmanager webhook payload, or PayloadError naming what is wrong."""
    if not isinstance(payload, dict):
        raise PayloadError("The body must be a JSON object.")
    if payload.get("version") != "4":
        raise PayloadError(
            f'Only version "4" of Alertmanager\'s webhook payload is accepted (got {payload.get("version")!r}).'
        )
    if payload.get("status") not in ("firing", "resolved"):
        raise PayloadError('status must be "firing" or "resolved".')
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts must be a list.")
    if len(alerts) > MAX_ALERTS:
        raise PayloadError(f"At most {MAX_ALERTS} alerts per payload.")
    parsed = []
    for i, raw in enumerate(alerts):
        where = f"alerts[{i}]"
        if not isinstance(raw, dict):
            raise PayloadError(f"{where} must be an object.")
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            raise PayloadError(f'{where}.status must be "firing" or "resolved".')
        fingerprint = raw.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint.strip() or len(fingerprint) > 64:
            raise PayloadError(f"{where}.fingerprint is missing (a string of at most 64 characters).")
        for field in ("startsAt", "endsAt", "generatorURL"):
            if raw.get(field) is not None and not isinstance(raw.get(field), str):
                raise PayloadError(f"{where}.{field} must be a string.")
        labels = _str_dict(raw.get("labels"), f"{where}.labels")
        parsed.append(
            Alert(
                status=status,
                fingerprint=fingerprint.strip(),
                labels=labels,
                annotations=_str_dict(raw.get("annotations"), f"{where}.annotations"),
                starts_at=raw.get("startsAt") or "",
                ends_at=raw.get("endsAt") or "",
                generator_url=raw.get("generatorURL") or "",
            )
        )
    return parsed


def _title(alert: Alert) -> str:
    name = alert.labels.get("alertname") or "Alert"
    keys = [f"{k}={alert.labels[k]}" for k in TITLE_LABELS if alert.labels.get(k)]
    title = f"{name} ({', '.join(keys)})" if keys else name
    return title[:255]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _description(alert: Alert) -> str:
    a = alert.annotations
    parts = []
    if a.get("summary"):
        parts.append(f"**{a['summary']}**")
    if a.get("description"):
        parts.append(a["description"])
    if a.get("runbook_url"):
        parts.append(f"Runbook: <{a['runbook_url']}>")
    rows = "\n".join(f"| {_md_cell(k)} | {_md_cell(v)} |" for k, v in sorted(alert.labels.items()))
    parts.append(f"| Label | Value |\n| --- | --- |\n{rows}" if rows else "No labels.")
    if alert.generator_url:
        parts.append(f"Source: <{alert.generator_url}>")
    parts.append(f"Firing since {alert.starts_at or 'unknown'} (fingerprint `{alert.fingerprint}`), from Alertmanager.")
    text = "\n\n".join(parts)
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 40] + "\n\n(truncated)"


def _label_names(alert: Alert) -> list[str]:
    names = ["alert"]
    for key in LABEL_KEYS:
        value = alert.labels.get(key)
        if value:
            names.append(f"{key}:{value}"[:50])
    return names


def _runs_named(project: Project, alert: Alert) -> list[Run]:
    """Synced runs of this project the alert names: by `run_id`, or the runs behind the
    latest versions of the registered model it names."""
    run_ids = []
    if alert.labels.get("run_id"):
        run_ids.append(alert.labels["run_id"])
    model = next((alert.labels[k] for k in MODEL_LABELS if alert.labels.get(k)), "")
    if model:
        run_ids += list(
            ModelVersion.objects.filter(source__project=project, name=model)
            .exclude(run_id="")
            .order_by("-created_ms")
            .values_list("run_id", flat=True)[:RUNS_PER_MODEL]
        )
    if not run_ids:
        return []
    return list(Run.objects.filter(project=project, run_id__in=run_ids).order_by("id"))


def _comment(ticket: Ticket, body: str) -> None:
    comment_create(ticket=ticket, author=None, body=body)


def _first_open_status(project: Project) -> WorkflowStatus | None:
    return WorkflowStatus.objects.filter(project=project, is_finished=False).order_by("position", "id").first()


def _move(ticket: Ticket, slug: str) -> str:
    """Move the ticket, in a savepoint: a move the workflow refuses (a finish guard) is said in
    a comment instead of failing the payload."""
    try:
        with transaction.atomic():
            ticket_move(ticket=ticket, user=None, status=slug)
        return ""
    except ValidationError as exc:
        return " ".join(exc.messages)


def _fire(intake: AlertIntake, alert: Alert, state: AlertTicket | None, now, created: list[str]) -> AlertTicket | None:
    """Open, reopen or (after the interval) comment on the alert's ticket. Returns the state
    when only its last_seen_at changed (saved in bulk by the caller)."""
    project = intake.project
    if state is None:
        ticket = ticket_create(
            project=project,
            reporter=None,
            title=_title(alert),
            type=TicketType.BUG,
            priority="high" if alert.labels.get("severity") in ("critical", "page", "high") else "medium",
            description=_description(alert),
            labels=_label_names(alert),
            alert_fingerprint=alert.fingerprint,
        )
        AlertTicket.objects.create(
            project=project,
            fingerprint=alert.fingerprint,
            ticket=ticket,
            starts_at=alert.starts_at[:40],
            last_seen_at=now,
            last_comment_at=now,
        )
        for run in _runs_named(project, alert):
            run_link(run=run, ticket=ticket, user=None)
        created.append(ticket.key)
        return None
    repeat_due = intake.repeat_comment_minutes and (
        state.last_comment_at is None or now - state.last_comment_at >= timedelta(minutes=intake.repeat_comment_minutes)
    )
    if state.firing and not repeat_due:
        state.last_seen_at = now
        return state
    ticket = state.ticket
    if not state.firing:  # fired again after it resolved: reopen the same ticket
        note = ""
        if ticket.status.is_finished or (intake.resolve_status and ticket.status.slug == intake.resolve_status):
            first = _first_open_status(project)
            if first is not None:
                note = _move(ticket, first.slug)
        _comment(
            ticket,
            f"Firing again since {alert.starts_at or 'now'}; reopened."
            + (f" (Could not move it: {note})" if note else ""),
        )
        state.firing, state.resolved_at, state.last_comment_at = True, None, now
        state.starts_at = alert.starts_at[:40]
    else:
        summary = alert.annotations.get("summary", "")
        _comment(
            ticket, f"Still firing (since {state.starts_at or alert.starts_at}).{' ' + summary if summary else ''}"
        )
        state.last_comment_at = now
    state.last_seen_at = now
    state.save()
    return None


def _resolve(intake: AlertIntake, alert: Alert, state: AlertTicket | None, now) -> None:
    if state is None or not state.firing:
        return  # never seen firing, or already resolved: nothing to say
    ticket = state.ticket
    note = _move(ticket, intake.resolve_status) if intake.resolve_status else ""
    _comment(
        ticket,
        f"Resolved at {alert.ends_at or now.isoformat()}."
        + (f" Moved to {intake.resolve_status}." if intake.resolve_status and not note else "")
        + (f" (Could not move it to {intake.resolve_status}: {note})" if note else ""),
    )
    state.firing, state.resolved_at, state.last_seen_at, state.last_comment_at = False, now, now, now
    state.save()


def alert_payload_receive(*, intake: AlertIntake, payload) -> AlertDelivery:
    """Apply one Alertmanager payload. Raises PayloadError (after logging the refusal) when
    it is malformed; otherwise writes everything in one transaction."""
    try:
        alerts = payload_parse(payload)
    except PayloadError as exc:
        logger.warning("alert intake of project %s refused a payload: %s", intake.project.key, exc)
        alert_delivery_refused(intake=intake, error=str(exc))
        raise
    now = timezone.now()
    created: list[str] = []
    with transaction.atomic():
        # Payloads for one project are applied one at a time (Alertmanager may send two
        # groups at once): the intake's row lock keeps two "first" firings of one
        # fingerprint from both opening a ticket.
        AlertIntake.objects.select_for_update().filter(pk=intake.pk).values_list("pk", flat=True).first()
        # Every alert's state in one locked read; a repeat that says nothing costs no query
        # of its own (its last_seen_at is written in bulk).
        states = {
            state.fingerprint: state
            for state in AlertTicket.objects.select_for_update(of=("self",))
            .filter(project=intake.project, fingerprint__in={a.fingerprint for a in alerts})
            .select_related("ticket", "ticket__status")
        }
        seen: dict[str, AlertTicket] = {}
        for alert in alerts:
            state = states.get(alert.fingerprint)
            if alert.status == "firing":
                touched = _fire(intake, alert, state, now, created)
                if touched is not None:
                    seen[touched.fingerprint] = touched
                elif state is None:
                    states[alert.fingerprint] = AlertTicket.objects.select_related("ticket", "ticket__status").get(
                        project=intake.project, fingerprint=alert.fingerprint
                    )
            else:
                _resolve(intake, alert, state, now)
        if seen:
            AlertTicket.objects.bulk_update(list(seen.values()), ["last_seen_at"])
        delivery = AlertDelivery.objects.create(
            intake=intake,
            accepted=True,
            group_key=str(payload.get("groupKey") or "")[:500],
            status=payload["status"],
            alerts=len(alerts),
            created_tickets=created,
        )
        AlertIntake.objects.filter(pk=intake.pk).update(received=F("received") + 1)
    return delivery


def alert_delivery_refused(*, intake: AlertIntake, error: str) -> AlertDelivery:
    with transaction.atomic():
        delivery = AlertDelivery.objects.create(intake=intake, accepted=False, error=error[:2000])
        AlertIntake.objects.filter(pk=intake.pk).update(rejected=F("rejected") + 1)
    return delivery


def alert_intake_for_token(*, project_key: str, raw_token: str) -> tuple[Project | None, AlertIntake | None]:
    """The project named in the URL (None: unknown) and its intake if the token is its own."""
    project = Project.objects.filter(key=project_key).first()
    if project is None:
        return None, None
    intake = AlertIntake.objects.filter(project=project).select_related("project").first()
    if intake is None or not raw_token or not secrets.compare_digest(intake.token_hash, token_hash(raw_token)):
        return project, None
    return project, intake

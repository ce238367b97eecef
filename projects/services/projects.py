"""Writes for projects and memberships."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.services import user_invite
from aihub.limits import text_lengths_check
from aihub.markdown import render_markdown

from .. import queue, selectors
from ..health import THRESHOLD_FIELDS
from ..models import STATUS_REPORT_SETTINGS, Membership, Notification, Project, Role, Ticket, WorkflowStatus
from .lifecycle import PhaseCriteriaUnmet, phase_advance
from .templates import template_apply, template_workflow

User = get_user_model()

PROJECT_EDITABLE_FIELDS = ("name", "description", "objectives", "phase", "board_mode")
PROJECT_EDITABLE_FIELDS += STATUS_REPORT_SETTINGS
PROJECT_EDITABLE_FIELDS += THRESHOLD_FIELDS


def _render_project_text(project: Project) -> None:
    text_lengths_check("projects.Project", description=project.description, objectives=project.objectives)
    project.description_html = render_markdown(project.description)
    project.objectives_html = render_markdown(project.objectives)


@transaction.atomic
def project_create(
    *,
    creator: User,
    key: str,
    name: str,
    description: str = "",
    objectives: str = "",
    phase: str = "define",
    board_mode: str = "scrum",
    template: str = "",
) -> Project:
    """Create a project with the default workflow; its creator becomes its admin. With a
    `template` id (one the creator may use: selectors.project_templates_for), the project
    comes with the template's workflow, labels, epics, starter tickets, docs, targets and
    exit criteria, all in this one transaction."""
    key = (key or "").strip()
    found = None
    if template:
        found = selectors.project_template_data(user=creator, template_id=template)
        if found is None:
            raise ValidationError({"template": [f"No template “{template}” you may use."]})
    if Project.objects.filter(key__iexact=key).exists():
        raise ValidationError({"key": [f"The key {key} is taken by another project."]})
    project = Project(
        key=key,
        name=(name or "").strip(),
        description=description or "",
        objectives=objectives or "",
        phase=phase,
        board_mode=board_mode,
        created_by=creator,
    )
    _render_project_text(project)
    project.full_clean()
    project.save()
    statuses = template_workflow(found[1] if found else None)
    for status in statuses:
        status.project = project
    WorkflowStatus.objects.bulk_create(statuses)
    Membership.objects.create(project=project, user=creator, role=Role.ADMIN)
    if found is not None:
        template_apply(project=project, data=found[1], user=creator)
    return project


@transaction.atomic
def project_update(*, project: Project, actor=None, **fields) -> Project:
    unknown = set(fields) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in sorted(unknown)})
    new_phase = fields.pop("phase", None)
    # A phase change is a lifecycle step: recorded (who, when, the checklist) and refused past
    # unticked exit criteria, as the Advance button does. A bound settings form has already put
    # the new phase on the instance, so compare with the stored one.
    stored_phase = Project.objects.filter(pk=project.pk).values_list("phase", flat=True).get()
    project.phase = stored_phase
    for name, value in fields.items():
        setattr(project, name, value)
    _render_project_text(project)
    project.full_clean()
    project.save()
    if new_phase and new_phase != stored_phase:
        try:
            phase_advance(project, actor, to_phase=new_phase)
        except PhaseCriteriaUnmet as error:
            unticked = len(error.message_dict.get("exit_criteria", []))
            raise ValidationError(
                {
                    "phase": [
                        f"{unticked} exit criteri{'on' if unticked == 1 else 'a'} of the phases left not ticked. "
                        "Tick them, or advance on the Lifecycle page with a reason."
                    ]
                }
            ) from error
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    # Tickets first: a status with tickets is protected, and Django's collector cannot
    # order one cascade through both the statuses and their tickets.
    Ticket.objects.filter(project=project).delete()
    project.delete()


def _lock_admins(membership: Membership) -> dict[int, str]:
    """Lock the project's admin memberships and this one, in primary-key order (so two
    requests never deadlock), and return their committed roles by pk. Two admins demoting
    or removing each other at once are serialized here: the second sees the first's
    change and is refused if it would leave the project with no admin."""
    rows = (
        Membership.objects.select_for_update()
        .filter(Q(role=Role.ADMIN) | Q(pk=membership.pk), project_id=membership.project_id)
        .order_by("pk")
        .values_list("pk", "role")
    )
    roles = dict(rows)
    if membership.pk not in roles:
        raise ValidationError({"username": [f"{membership.user.username} is no longer a member of this project."]})
    return roles


def _check_an_admin_stays(membership: Membership, roles: dict[int, str], message: str) -> None:
    others = sum(1 for pk, role in roles.items() if role == Role.ADMIN and pk != membership.pk)
    if roles[membership.pk] == Role.ADMIN and not others:
        raise ValidationError({"role": [message]})


LAST_ADMIN = "A project needs at least one admin."


def _notify_added(*, membership: Membership, added_by: User | None) -> None:
    if added_by is not None and added_by.pk == membership.user_id:
        return
    project = membership.project
    Notification.objects.create(
        recipient=membership.user,
        actor=added_by,
        kind=Notification.Kind.ADDED,
        project=project,
        excerpt=f"{project.key} · {project.name} as {membership.role}"[:200],
    )


@transaction.atomic
def membership_add(*, project: Project, user: User, role: str, added_by: User | None = None) -> Membership:
    """Add a user to a project; they get an in-app notification saying who added them."""
    if role not in Role.values:
        raise ValidationError({"role": [f"Choose one of: {', '.join(Role.values)}."]})
    if Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError({"username": [f"{user.username} is already a member of {project.key}."]})
    membership = Membership(project=project, user=user, role=role)
    membership.full_clean()
    membership.save()
    _notify_added(membership=membership, added_by=added_by)
    return membership


@transaction.atomic
def membership_invite(
    *, project: Project, inviter: User, role: str, username: str = "", email: str = "", base_url: str = ""
) -> Membership:
    """Add an existing user (by username or e-mail) or invite a new one by e-mail; they are
    told by e-mail, sent by a Celery task once the membership is committed."""
    user = None
    if username:
        user = User.objects.filter(username=username.strip()).first()
        if user is None and not email:
            raise ValidationError({"username": [f"No user named {username.strip()}: invite them by e-mail."]})
    if user is None:
        if not email:
            raise ValidationError({"email": ["Give a username or an e-mail address."]})
        user, _ = user_invite(email=email, username=username)
    membership = membership_add(project=project, user=user, role=role, added_by=inviter)
    if user.email:
        queue.invitation_email(
            user_id=user.pk, project_name=project.name, inviter_name=inviter.label, base_url=base_url
        )
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [f"Choose one of: {', '.join(Role.values)}."]})
    roles = _lock_admins(membership)
    if role != Role.ADMIN:
        _check_an_admin_stays(membership, roles, LAST_ADMIN)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, leaving: bool = False) -> None:
    """Remove a member (or, with `leaving`, a member leaving on their own). Their
    notifications about the project go with them: they may no longer read its tickets."""
    roles = _lock_admins(membership)
    message = (
        f"You are the last admin of {membership.project.key}: make someone else admin first, or delete the project."
        if leaving
        else LAST_ADMIN
    )
    _check_an_admin_stays(membership, roles, message)
    Notification.objects.filter(recipient_id=membership.user_id).filter(
        Q(project_id=membership.project_id) | Q(ticket__project_id=membership.project_id)
    ).delete()
    membership.delete()

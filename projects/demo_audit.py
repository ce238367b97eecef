"""The demo workspace's audit log: a week of writes to CV through the pages and the API, so
Settings > Audit log shows users, a token, addresses and every filter something to match.
Real writes after seeding add their own rows (accounts/audit.py)."""

import datetime

from django.utils import timezone

from accounts.models import ApiToken, AuditEntry, User

from .models import Project


def seed_audit_demo(demo_user) -> None:
    """Left alone once CV has audit entries."""
    project = Project.objects.filter(key="CV").first()
    if project is None or AuditEntry.objects.filter(project_id=project.pk).exists():
        return
    teammate = User.objects.filter(username="dana", memberships__project=project).first() or demo_user
    token = ApiToken.objects.filter(user=teammate).first()
    tickets = list(project.tickets.order_by("number").values_list("key", flat=True)[:6]) or [f"{project.key}-1"]
    sprint = project.sprints.order_by("start_date").values_list("pk", flat=True).first()
    now = timezone.now()
    rows = [
        # (hours ago, user, via token, method, route, action, object type, key, status)
        (150, demo_user, False, "POST", "projects:settings", "update", "project", project.key, 302),
        (120, demo_user, False, "POST", "projects:ticket_create", "create", "ticket", tickets[0], 302),
        (96, teammate, True, "PATCH", "ticket-detail", "update", "ticket", tickets[1 % len(tickets)], 200),
        (72, teammate, True, "POST", "ticket-move", "move", "ticket", tickets[2 % len(tickets)], 200),
        (48, demo_user, False, "POST", "projects:sprint_start", "start", "sprint", str(sprint or ""), 302),
        (30, teammate, False, "POST", "projects:ticket_comment", "create", "comment", tickets[3 % len(tickets)], 302),
        (20, teammate, True, "DELETE", "ticket-detail", "delete", "ticket", tickets[4 % len(tickets)], 204),
        (3, demo_user, False, "POST", "projects:member_role", "change_role", "member", teammate.username, 302),
    ]
    entries = []
    for hours, user, via_token, method, route, action, object_type, key, status in rows:
        api = route.count(":") == 0
        entries.append(
            AuditEntry(
                user=user,
                username=user.username,
                token=token if via_token and token else None,
                token_name=(token.name if via_token and token else "ci-bot" if via_token else ""),
                ip_address="10.20.0.14" if api else "192.0.2.41",
                method=method,
                path=f"/api/v1/tickets/{key}/" if api else f"/projects/{project.key}/",
                route=route,
                action=action,
                object_type=object_type,
                object_key=key,
                project_id=project.pk,
                project_key=project.key,
                status_code=status,
                request_id=f"demo{hours:04d}",
                via_api=api,
            )
        )
    created = AuditEntry.objects.bulk_create(entries)
    for entry, row in zip(created, rows, strict=True):
        AuditEntry.objects.filter(pk=entry.pk).update(created_at=now - datetime.timedelta(hours=row[0]))

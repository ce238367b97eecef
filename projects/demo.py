"""Demo planning data for the CV and CHURN demo projects: epics, stories, bugs and
experiment tickets with labels and custom fields, a completed sprint and an active one
whose history is spread over past days, so the backlog, burndown and velocity have
something real to show. Idempotent: a project that already has sprints is left alone."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import services
from .events import ticket_event_record
from .models import Project, Sprint, Ticket, TicketEvent

User = get_user_model()

# (title, type, points, labels, epic index or None, where: "s0-done" | "s0-open" | "s1-done" | "s1-open" |
#  "s2-done" | "s2-open" | "s3" | "backlog"); s0 and s1 are completed sprints, s2 the active one.
CV_TICKETS = [
    ("Scratch recall ≥ 0.95 on line 3", "epic", None, ["model"], None, "backlog"),
    ("Inference under 40 ms on the edge box", "epic", None, ["edge"], None, "backlog"),
    ("Set up the labelling tool and QA guidelines", "task", 3, ["data"], 0, "s0-done"),
    ("Camera calibration notes for line 3", "spike", 2, ["data"], 0, "s0-done"),
    ("MLflow tracking server for the team", "task", 3, ["experiment"], None, "s0-done"),
    ("Bug: images saved with the wrong timestamp", "bug", 2, ["bug", "data"], None, "s0-done"),
    ("Collect 5k labelled line-3 images with QA", "task", 5, ["data"], 0, "s1-done"),
    ("Define the holdout split by shift and camera", "task", 2, ["data", "eval"], 0, "s1-done"),
    ("Baseline: ResNet-50 fine-tune, recall on holdout", "experiment", 5, ["model", "experiment"], 0, "s1-done"),
    ("Augmentation study: blur and glare", "experiment", 3, ["experiment"], 0, "s1-done"),
    ("Label noise audit on the scratch class", "spike", 3, ["data"], 0, "s1-open"),
    ("Evaluation report template for QA sign-off", "task", 2, ["eval"], 0, "s1-done"),
    ("Focal loss vs. class weights for rare scratches", "experiment", 5, ["model", "experiment"], 0, "s2-done"),
    ("Tile 4K frames into 1024 crops", "story", 3, ["data"], 0, "s2-done"),
    ("Bug: dataloader drops EXIF-rotated images", "bug", 2, ["data", "bug"], None, "s2-done"),
    ("Threshold sweep for recall 0.95 at fixed precision", "experiment", 3, ["eval", "experiment"], 0, "s2-open"),
    ("Export to ONNX and check parity", "story", 3, ["edge"], 1, "s2-open"),
    ("Bug: metrics logged twice when resuming a run", "bug", 1, ["bug"], None, "s2-open"),
    ("INT8 quantisation, measure latency on the edge box", "experiment", 5, ["edge", "experiment"], 1, "s3"),
    ("TensorRT build in CI", "task", 3, ["edge"], 1, "s3"),
    ("Drift monitor on camera brightness", "story", 5, ["monitoring"], None, "backlog"),
    ("Active learning loop: send low-confidence crops to QA", "story", 8, ["data"], 0, "backlog"),
    ("Spike: self-supervised pretraining on unlabelled frames", "spike", 5, ["model"], 0, "backlog"),
    ("Bug: confusion matrix axis labels swapped", "bug", 1, ["bug", "eval"], None, "backlog"),
]
CHURN_TICKETS = [
    ("AUC 0.85 on the holdout month", "epic", None, ["model"], None, "backlog"),
    ("Weekly scored list in the CRM", "epic", None, ["integration"], None, "backlog"),
    ("Define churn: 30 days without an active contract", "spike", 2, ["data"], 0, "s0-done"),
    ("Access to the billing warehouse", "task", 3, ["data"], None, "s0-done"),
    ("Data dictionary for usage events", "task", 3, ["data"], 0, "s0-open"),
    ("Join billing, usage and support tables", "task", 5, ["data"], 0, "s1-done"),
    ("Leakage review: features known after cancellation", "spike", 3, ["data"], 0, "s1-done"),
    ("Logistic regression baseline", "experiment", 2, ["model", "experiment"], 0, "s1-done"),
    ("Gradient boosting with tenure buckets", "experiment", 5, ["model", "experiment"], 0, "s1-open"),
    ("Calibration plot and Brier score", "task", 2, ["eval"], 0, "s2-done"),
    ("SHAP summary for the retention team", "story", 3, ["eval"], 0, "s2-open"),
    ("Bug: customers with two contracts counted twice", "bug", 2, ["bug", "data"], None, "s2-done"),
    ("CRM export job (weekly, idempotent)", "story", 5, ["integration"], 1, "s2-open"),
    ("Holdout month backtest", "experiment", 3, ["eval", "experiment"], 0, "s3"),
    ("Fairness check across regions", "spike", 3, ["eval"], 0, "backlog"),
]
LABEL_COLORS = {
    "data": "#0ea5e9",
    "model": "#8b5cf6",
    "experiment": "#4f46e5",
    "eval": "#16a34a",
    "bug": "#dc2626",
    "edge": "#f59e0b",
    "monitoring": "#64748b",
    "integration": "#0891b2",
}


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def _seed_project(project: Project, demo_user, teammate, specs, custom_fields) -> None:
    today = timezone.localdate()
    for key, name, kind, options in custom_fields:
        services.custom_field_create(
            project=project, key=key, name=name, field_type=kind, options=options, show_on_card=kind == "select"
        )
    s0 = services.sprint_create(
        project=project,
        name="Sprint 0 · Foundations",
        goal="Data access and tooling.",
        start_date=today - datetime.timedelta(days=33),
        end_date=today - datetime.timedelta(days=20),
        capacity=15,
    )
    s1 = services.sprint_create(
        project=project,
        name="Sprint 1 · Baseline",
        goal="A measured baseline and clean data.",
        start_date=today - datetime.timedelta(days=19),
        end_date=today - datetime.timedelta(days=6),
        capacity=20,
    )
    s2 = services.sprint_create(
        project=project,
        name="Sprint 2 · Push the metric",
        goal="Close the gap to the target metric.",
        start_date=today - datetime.timedelta(days=5),
        end_date=today + datetime.timedelta(days=8),
        capacity=20,
    )
    s3 = services.sprint_create(
        project=project,
        name="Sprint 3",
        goal="Ship to the edge / CRM.",
        start_date=today + datetime.timedelta(days=9),
        end_date=today + datetime.timedelta(days=22),
        capacity=18,
    )
    people = [demo_user, teammate]
    epics, created = [], []
    for i, (title, kind, points, labels, epic, where) in enumerate(specs):
        extra = {}
        if custom_fields and kind == "experiment":
            extra["custom_fields"] = {custom_fields[0][0]: custom_fields[0][3][i % len(custom_fields[0][3])]}
        ticket = services.ticket_create(
            project=project,
            reporter=demo_user,
            title=title,
            type=kind,
            estimate=points,
            priority=["medium", "high", "low", "urgent"][i % 4] if kind == "bug" else ["medium", "high"][i % 2],
            assignee=people[i % 2] if where != "backlog" else None,
            parent=epics[epic] if epic is not None else None,
            description=f"{title}.\n\nPart of {epics[epic].key}." if epic is not None else f"{title}.",
            labels=labels,
            **extra,
        )
        if kind == "epic":
            epics.append(ticket)
        created.append((ticket, where))
    for label, color in LABEL_COLORS.items():
        project.labels.filter(name=label).update(color=color)

    def tickets(*wheres):
        return [t for t, w in created if w in wheres]

    services.sprint_add_tickets(sprint=s0, tickets=tickets("s0-done", "s0-open"), user=demo_user, project=project)
    services.sprint_start(sprint=s0, user=demo_user)
    for ticket in tickets("s0-done"):
        services.ticket_update(ticket=ticket, user=ticket.assignee or demo_user, status="done")
    services.sprint_complete(sprint=s0, user=demo_user, move_open_to=s1)
    services.sprint_add_tickets(sprint=s1, tickets=tickets("s1-done", "s1-open"), user=demo_user, project=project)
    services.sprint_start(sprint=s1, user=demo_user)
    for ticket in tickets("s1-done"):
        services.ticket_update(ticket=ticket, user=ticket.assignee or demo_user, status="done")
    services.sprint_complete(sprint=s1, user=demo_user, move_open_to=s2)
    services.sprint_add_tickets(sprint=s2, tickets=tickets("s2-done", "s2-open"), user=demo_user, project=project)
    services.sprint_add_tickets(sprint=s3, tickets=tickets("s3"), user=demo_user, project=project)
    services.sprint_start(sprint=s2, user=demo_user)
    for ticket in tickets("s2-done"):
        services.ticket_update(ticket=ticket, user=ticket.assignee or demo_user, status="done")
    for ticket in tickets("s2-open")[:1]:
        services.ticket_update(ticket=ticket, user=ticket.assignee or demo_user, status="in_progress")
    for ticket in tickets("s2-open")[1:2]:
        services.ticket_update(ticket=ticket, user=ticket.assignee or demo_user, status="in_review")

    # A conversation and links, so the ticket page shows what a team leaves behind.
    first_open = tickets("s2-open")[0]
    services.comment_create(
        ticket=first_open,
        author=teammate,
        body=f"First pass done; numbers look close. @{demo_user.username} can you review against {created[2][0].key}?",
    )
    services.comment_create(
        ticket=first_open, author=demo_user, body="Looks good. Log the sweep as an MLflow run and link it here."
    )
    if len(tickets("s2-open")) > 1:
        services.relation_add(ticket=tickets("s2-open")[1], other=first_open, kind="is_blocked_by", user=demo_user)
    services.saved_view_create(
        project=project,
        owner=demo_user,
        name="Open experiments",
        filters={"type": "experiment", "status": "todo,in_progress,in_review"},
        shared=True,
    )

    # Spread the history over the past days, as if the team had worked through both sprints.
    _backdate(project, s0, s1, s2, s3, created)


def _backdate(project, s0: Sprint, s1: Sprint, s2: Sprint, s3: Sprint, created) -> None:
    today = timezone.localdate()
    long_ago = _at(today - datetime.timedelta(days=40), 10)
    ids = [t.pk for t, _ in created]
    Ticket.objects.filter(pk__in=ids).update(created_at=long_ago)
    TicketEvent.objects.filter(ticket_id__in=ids, kind=TicketEvent.Kind.CREATED).update(created_at=long_ago)
    s2_start = _at(s2.start_date, 9)
    sprint_events = TicketEvent.objects.filter(ticket_id__in=ids, field="sprint")
    for sprint in (s0, s1):  # completed: planned the hour before the start, carried over at the end
        start, end = _at(sprint.start_date, 9), _at(sprint.end_date, 17)
        Sprint.objects.filter(pk=sprint.pk).update(started_at=start, completed_at=end)
        sprint_events.filter(data__old_id=sprint.pk).update(created_at=end)
        sprint_events.filter(data__new_id=sprint.pk, data__old_id=None).update(
            created_at=start - datetime.timedelta(hours=1)
        )
    Sprint.objects.filter(pk=s2.pk).update(started_at=s2_start)
    sprint_events.filter(data__new_id=s2.pk, data__old_id=None).update(
        created_at=s2_start - datetime.timedelta(hours=1)
    )
    sprint_events.filter(data__new_id=s3.pk).update(created_at=s2_start)
    for where, start, days in (
        ("s0-done", s0.start_date, 12),
        ("s1-done", s1.start_date, 12),
        ("s2-done", s2.start_date, 4),
    ):
        done = [t for t, w in created if w == where]
        for i, ticket in enumerate(done):
            finished = _at(start + datetime.timedelta(days=1 + (i * days) // max(len(done), 1)), 15)
            Ticket.objects.filter(pk=ticket.pk).update(finished_at=finished, updated_at=finished)
            TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.MOVED).update(created_at=finished)
    for where in ("s2-open",):
        for i, ticket in enumerate(t for t, w in created if w == where):
            moment = _at(s2.start_date + datetime.timedelta(days=1 + i), 11)
            TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.MOVED).update(created_at=moment)


@transaction.atomic
def seed_planning_demo(demo_user) -> None:
    teammate = User.objects.filter(username="dana").first() or demo_user
    plans = {
        "CV": (
            CV_TICKETS,
            [
                ("dataset", "Dataset", "select", ["line3-v1", "line3-v2", "coco-defects"]),
                ("gpu_hours", "GPU hours", "number", []),
                ("paper", "Reference", "url", []),
            ],
        ),
        "CHURN": (
            CHURN_TICKETS,
            [
                ("model_family", "Model family", "select", ["linear", "gbm", "nn"]),
                ("holdout_month", "Holdout month", "date", []),
            ],
        ),
    }
    for key, (specs, custom_fields) in plans.items():
        project = Project.objects.filter(key=key).first()
        if project is None or project.sprints.exists():
            continue
        _seed_project(project, demo_user, teammate, specs, custom_fields)


# (title, likelihood, impact, status, review in days (negative: overdue), ticket titles, description,
#  mitigation): the CV project's risk register. The first is high and open.
CV_RISKS = [
    (
        "Scratch labels disagree between QA shifts",
        4,
        4,
        "open",
        -3,
        ["Label noise audit on the scratch class", "Collect 5k labelled line-3 images with QA"],
        "Night-shift QA marks hairline scratches that day shift passes. If the labels disagree, recall on the "
        "holdout measures the labellers, not the model.",
        "Audit 500 crops with both shifts; write a one-page labelling guide with examples; re-label the worst class.",
    ),
    (
        "Edge box cannot hold 40 ms at full resolution",
        3,
        4,
        "mitigating",
        10,
        ["INT8 quantisation, measure latency on the edge box", "Export to ONNX and check parity"],
        "The plant's edge box has no spare GPU memory; 4K frames may not fit the latency budget.",
        "Tile frames into 1024 crops and quantise to INT8; fall back to a smaller backbone.",
    ),
    (
        "Camera firmware update changes colour balance",
        2,
        3,
        "accepted",
        30,
        [],
        "The vendor ships a firmware update twice a year.",
        "Accepted: the brightness drift monitor will flag it; re-calibrate when it fires.",
    ),
]


@transaction.atomic
def seed_risks_demo(demo_user) -> None:
    """The CV demo project's risk register (one high and open, overdue for review; one being
    mitigated; one accepted), linked to its tickets. Left alone once it has risks."""
    project = Project.objects.filter(key="CV").first()
    if project is None or project.risks.exists():
        return
    teammate = User.objects.filter(username="dana", memberships__project=project).first() or demo_user
    today = timezone.localdate()
    by_title = dict(project.tickets.values_list("title", "key"))
    for i, (title, likelihood, impact, status, review_in, tickets, description, mitigation) in enumerate(CV_RISKS):
        services.risk_create(
            project=project,
            user=demo_user,
            title=title,
            likelihood=likelihood,
            impact=impact,
            status=status,
            owner=[demo_user, teammate][i % 2],
            review_date=today + datetime.timedelta(days=review_in),
            tickets=[by_title[t] for t in tickets if t in by_title],
            description=description,
            mitigation=mitigation,
        )


# Hours from "In progress" to done of the demo's finished tickets, in turn: cycle times from
# under a day to over a week, for the cycle-time chart.
FLOW_DEMO_CYCLE_HOURS = (20, 46, 70, 28, 100, 150, 54, 30, 200, 80, 40, 120)


def _flow_demo_move(ticket: Ticket, actor, old: str, new: str, at: datetime.datetime) -> None:
    event = ticket_event_record(
        ticket=ticket, actor=actor, kind=TicketEvent.Kind.MOVED, field="status", old_value=old, new_value=new
    )
    TicketEvent.objects.filter(pk=event.pk).update(created_at=at)


@transaction.atomic
def seed_flow_demo(demo_user) -> None:
    """History for the flow charts of the CV and CHURN dashboards: each finished demo ticket
    went through "In progress" and "In review" before "Done" (the planning demo moves them
    straight from "To do"), and the ticket in review went through "In progress" first. Left
    alone once a project's history has a move from "In progress" to "In review"."""
    for key in ("CV", "CHURN"):
        project = Project.objects.filter(key=key).first()
        if project is None or not project.sprints.exists():
            continue
        if not {"todo", "in_progress", "in_review", "done"} <= set(project.statuses.values_list("slug", flat=True)):
            continue
        moves = TicketEvent.objects.filter(ticket__project=project, kind=TicketEvent.Kind.MOVED, field="status")
        if moves.filter(old_value="in_progress", new_value="in_review").exists():
            continue
        straight = moves.filter(old_value="todo").select_related("ticket", "actor").order_by("created_at", "id")
        for i, event in enumerate(straight.filter(new_value="done")):
            ticket, finished = event.ticket, event.created_at
            hours = FLOW_DEMO_CYCLE_HOURS[i % len(FLOW_DEMO_CYCLE_HOURS)]
            started = max(finished - datetime.timedelta(hours=hours), ticket.created_at + datetime.timedelta(hours=1))
            _flow_demo_move(ticket, event.actor, "todo", "in_progress", started)
            _flow_demo_move(ticket, event.actor, "in_progress", "in_review", started + (finished - started) * 0.7)
            TicketEvent.objects.filter(pk=event.pk).update(old_value="in_review")
        for event in straight.filter(new_value="in_review"):
            _flow_demo_move(
                event.ticket, event.actor, "todo", "in_progress", event.created_at - datetime.timedelta(hours=30)
            )
            TicketEvent.objects.filter(pk=event.pk).update(old_value="in_progress")


@transaction.atomic
def seed_lifecycle_demo(demo_user) -> None:
    """The CV demo project's lifecycle and roadmap: exit criteria for every phase (those of
    Define, Plan and Data ticked, one of Develop's), its way from Define to Develop as phase
    changes spread over past weeks (Data left with one criterion unticked, overridden with a
    reason), due dates on its two epics, and two milestones linked to them: one past and
    completed, one upcoming. Left alone once the project has exit criteria."""
    from .lifecycle import DEFAULT_EXIT_CRITERIA
    from .models import ExitCriterion, Milestone, Phase, PhaseTransition, TicketType
    from .services import lifecycle as lifecycle_services

    project = Project.objects.filter(key="CV").first()
    if project is None or project.exit_criteria.exists():
        return
    teammate = User.objects.filter(username="dana", memberships__project=project).first() or demo_user
    now = timezone.now()
    final_phase = project.phase if project.phase != Phase.DEFINE else Phase.DEVELOP
    for phase, texts in DEFAULT_EXIT_CRITERIA.items():
        lifecycle_services.exit_criteria_create(project, phase, texts, user=demo_user)
    Project.objects.filter(pk=project.pk).update(phase=Phase.DEFINE)
    project.phase = Phase.DEFINE
    criteria = {c.text: c for c in project.exit_criteria.all()}
    # (phase left, weeks ago, texts left unticked, override reason)
    steps = [
        (Phase.DEFINE, 10, [], ""),
        (Phase.PLAN, 7, [], ""),
        (
            Phase.DATA,
            3,
            ["Labels checked for quality (sample audited)"],
            "QA's audit of the scratch class runs into the first develop sprint (ticket: label noise audit); "
            "the rest of the data is signed off.",
        ),
    ]
    for i, (phase, weeks_ago, unticked, reason) in enumerate(steps):
        if phase == final_phase:
            break
        at = now - datetime.timedelta(weeks=weeks_ago)
        for j, text in enumerate(DEFAULT_EXIT_CRITERIA[phase]):
            if text in unticked:
                continue
            user = [demo_user, teammate][(i + j) % 2]
            lifecycle_services.exit_criterion_tick(criterion=criteria[text], user=user)
            ExitCriterion.objects.filter(pk=criteria[text].pk).update(done_at=at - datetime.timedelta(days=3 - j))
        transition = lifecycle_services.phase_advance(project, demo_user, override_reason=reason)
        PhaseTransition.objects.filter(pk=transition.pk).update(created_at=at)
    first_develop = DEFAULT_EXIT_CRITERIA[Phase.DEVELOP][1]  # "Model card written"
    if project.phase == Phase.DEVELOP:
        lifecycle_services.exit_criterion_tick(criterion=criteria[first_develop], user=teammate)

    today = timezone.localdate()
    epics = list(project.tickets.filter(type=TicketType.EPIC).order_by("number"))
    for epic, weeks in zip(epics, (4, 8), strict=False):
        services.ticket_update(ticket=epic, user=demo_user, due_date=today + datetime.timedelta(weeks=weeks))
    if not Milestone.objects.filter(project=project).exists():
        past = lifecycle_services.milestone_create(
            project=project,
            user=demo_user,
            name="Baseline reviewed by QA",
            due_date=today - datetime.timedelta(days=20),
            description="QA signs off the baseline's recall on the holdout split before the team tunes it.",
            epics=epics[:1],
            completed=True,
        )
        Milestone.objects.filter(pk=past.pk).update(completed_at=now - datetime.timedelta(days=21))
        lifecycle_services.milestone_create(
            project=project,
            user=demo_user,
            name="Pilot on line 3",
            due_date=today + datetime.timedelta(weeks=6),
            description="The model runs beside QA on line 3 for two weeks: recall ≥ 0.95 at under 40 ms.",
            epics=epics[:2],
        )

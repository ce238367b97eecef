"""The roadmap: the project's epics and milestones on a timeline, laid out here so the page
draws it as an inline SVG with computed coordinates (the Content-Security-Policy allows no
style attributes). Three queries whatever the number of epics and children: the epics with
their children's dates aggregated, the milestones, and the milestones' epics.

When an epic runs:
- it starts on the earliest start date of a sprint that holds one of its children, or
  else on the day the epic was created;
- it ends on the latest of its own due date, its children's due dates and the end dates of
  their sprints. An epic with none of those has no end yet: it is listed under
  "Not scheduled" and not drawn."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Prefetch, Q
from django.utils import timezone

from ..models import Milestone, Project, Ticket, TicketType

DAY_PX = 4  # horizontal scale: at least about 120 px a month...
MIN_WIDTH_PX = 1080  # ...and wide enough to fill the page's card on a desktop
MAX_WIDTH_PX = 2400  # a longer range is drawn at a smaller scale
MIN_MONTHS = 3
AXIS_HEIGHT = 28  # the month labels
LANE_ROW = 18  # one row of milestone labels
EPIC_ROW = 40  # one epic: its label, then its bar
BAR_HEIGHT = 14
CHAR_PX = 6.6  # the width of a character of the 12 px labels, for placing them


@dataclass
class RoadmapEpic:
    key: str
    title: str
    status: str
    finished: bool
    start: datetime.date
    end: datetime.date | None
    start_source: str
    end_source: str
    done: int
    total: int
    x: float = 0
    width: float = 0
    y: float = 0
    done_width: float = 0
    label_x: float = 0
    label_y: float = 0
    label_anchor: str = "start"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else (100 if self.finished else 0)


@dataclass
class RoadmapMilestone:
    milestone: Milestone
    x: float = 0
    label_x: float = 0
    label_y: float = 0
    label_anchor: str = "start"
    diamond: str = ""
    overdue: bool = False
    epic_keys: list = field(default_factory=list)


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _epic_rows(project: Project) -> list[RoadmapEpic]:
    finished_children = Q(children__status__is_finished=True)
    epics = (
        Ticket.objects.filter(project=project, type=TicketType.EPIC)
        .select_related("status")
        .only("id", "key", "title", "number", "due_date", "created_at", "status", "status__name", "status__is_finished")
        .annotate(
            sprint_start=Min("children__sprint__start_date"),
            sprint_end=Max("children__sprint__end_date"),
            child_due=Max("children__due_date"),
            children_total=Count("children"),
            children_done=Count("children", filter=finished_children),
        )
        .order_by("number")
    )
    rows = []
    for epic in epics:
        ends = {
            "its due date": epic.due_date,
            "its children's due dates": epic.child_due,
            "its children's sprints": epic.sprint_end,
        }
        known = {source: day for source, day in ends.items() if day is not None}
        end_source, end = max(known.items(), key=lambda item: item[1]) if known else ("", None)
        if epic.sprint_start is not None:
            start, start_source = epic.sprint_start, "its first sprint"
        else:
            start, start_source = timezone.localdate(epic.created_at), "its creation"
        if end is not None and start > end:
            start = end
        rows.append(
            RoadmapEpic(
                key=epic.key,
                title=epic.title,
                status=epic.status.name,
                finished=epic.status.is_finished,
                start=start,
                end=end,
                start_source=start_source,
                end_source=end_source,
                done=epic.children_done,
                total=epic.children_total,
            )
        )
    return rows


def roadmap(*, project: Project, today: datetime.date) -> dict:
    """Everything the roadmap page draws: {"epics" (scheduled, laid out), "unscheduled",
    "milestones" (laid out), "months" [{"label", "x", "year"}], "today_x", "width",
    "height", "start", "end", "day_px"}; coordinates in SVG pixels."""
    epics = _epic_rows(project)
    linked_epics = Ticket.objects.select_related("status").only(
        "id", "key", "title", "number", "status", "status__name", "status__is_finished"
    )
    milestones = list(
        Milestone.objects.filter(project=project)
        .prefetch_related(Prefetch("epics", queryset=linked_epics.order_by("number")))
        .order_by("due_date", "id")
    )
    scheduled = [e for e in epics if e.end is not None]
    unscheduled = [e for e in epics if e.end is None]
    days = [today, *(e.start for e in scheduled), *(e.end for e in scheduled), *(m.due_date for m in milestones)]
    start = _month_start(min(days))
    end = _next_month(max(days))
    while (end.year - start.year) * 12 + end.month - start.month < MIN_MONTHS:
        end = _next_month(end)
    total_days = (end - start).days
    day_px = round(min(max(DAY_PX, MIN_WIDTH_PX / total_days), MAX_WIDTH_PX / total_days), 3)
    width = round(total_days * day_px, 1)

    def x_of(day: datetime.date) -> float:
        return round((day - start).days * day_px, 1)

    # Month gridlines with their names; over a range of years (a narrow month) only the
    # years are marked.
    month_px = 30.4 * day_px
    months = []
    month = start
    while month < end:
        x = x_of(month)
        if month_px >= 8 or month.month == 1 or month == start:
            months.append(
                {
                    "label": month.strftime("%b") if month_px >= 36 else "",
                    "year": month.year,
                    "x": x,
                    "label_x": x + 4,
                    "first": month.month == 1,
                }
            )
        month = _next_month(month)

    # Milestone labels in lanes under the axis: each goes in the first lane where it does
    # not run into the label before it.
    lanes: list[float] = []
    laid_milestones = []
    for milestone in milestones:
        x = x_of(milestone.due_date)
        label_width = (len(milestone.name) + 2) * CHAR_PX
        anchor = "end" if x + 10 + label_width > width else "start"
        left, right = (x - 10 - label_width, x) if anchor == "end" else (x, x + 10 + label_width)
        lane = next((i for i, taken in enumerate(lanes) if taken < left), None)
        if lane is None:
            lanes.append(right)
            lane = len(lanes) - 1
        else:
            lanes[lane] = right
        label_y = AXIS_HEIGHT + 13 + lane * LANE_ROW
        mid = label_y - 4
        laid_milestones.append(
            RoadmapMilestone(
                milestone=milestone,
                x=x,
                label_x=round(x - 9 if anchor == "end" else x + 9, 1),
                label_y=label_y,
                diamond=f"{x},{mid - 6} {round(x + 6, 1)},{mid} {x},{mid + 6} {round(x - 6, 1)},{mid}",
                label_anchor=anchor,
                overdue=milestone.overdue(today),
                epic_keys=[epic.key for epic in milestone.epics.all()],
            )
        )
    lanes_height = max(1, len(lanes)) * LANE_ROW + 8
    top = AXIS_HEIGHT + lanes_height
    for row, epic in enumerate(scheduled):
        epic.x = x_of(epic.start)
        epic.width = max(round((epic.end - epic.start).days * day_px, 1), day_px)
        epic.done_width = round(epic.width * epic.percent / 100, 1)
        epic.y = top + row * EPIC_ROW + 18
        epic.label_y = epic.y - 5
        label_width = (len(epic.key) + len(epic.title) + 1) * CHAR_PX
        if epic.x + label_width > width:
            epic.label_anchor, epic.label_x = "end", round(min(width - 2, epic.x + epic.width), 1)
        else:
            epic.label_anchor, epic.label_x = "start", epic.x
    height = top + max(1, len(scheduled)) * EPIC_ROW + 6
    today_x = x_of(today)
    today_anchor = "end" if today_x + 44 > width else "start"
    return {
        "epics": scheduled,
        "unscheduled": unscheduled,
        "milestones": laid_milestones,
        "months": months,
        "today": today,
        "today_x": today_x,
        "today_label_x": round(today_x - 3 if today_anchor == "end" else today_x + 3, 1),
        "today_label_y": height - 4,
        "today_anchor": today_anchor,
        "width": width,
        "height": height,
        "lanes_top": AXIS_HEIGHT,
        "epics_top": top,
        "bar_height": BAR_HEIGHT,
        "start": start,
        "end": end - datetime.timedelta(days=1),
        "day_px": day_px,
    }

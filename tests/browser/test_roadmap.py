"""The roadmap and the lifecycle panel in real Chromium: the Roadmap tab draws the epics as
bars and the milestones as diamonds on month gridlines with a today line (no CSP
violation); on a phone (390 px) the timeline scrolls sideways inside its card while the
page stays as wide as the screen and the tab row shows the current tab; on the hub an
admin's advance past an unticked criterion is refused in the page, then overridden with a
reason, and a member ticks a criterion in place."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from projects.models import Role, Sprint, TicketType
from projects.services.lifecycle import exit_criteria_create, milestone_create
from tests.browser.crawl import Watch
from tests.projects.factories import MembershipFactory, ProjectFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def roadmap_project(user, role=Role.ADMIN):
    project = ProjectFactory(key="CV", name="Vision", phase="define")
    MembershipFactory(project=project, user=user, role=role)
    today = timezone.localdate()
    sprints = [
        Sprint.objects.create(
            project=project,
            name=f"S{i}",
            start_date=today + datetime.timedelta(days=14 * i - 40),
            end_date=today + datetime.timedelta(days=14 * i - 27),
        )
        for i in range(6)
    ]
    epics = []
    for title, first, last in [("Labelled dataset", 0, 2), ("Detector v2", 1, 4), ("Edge deployment", 3, 5)]:
        epic = TicketFactory(project=project, reporter=user, title=title, type=TicketType.EPIC)
        for i in range(first, last + 1):
            TicketFactory(
                project=project, reporter=user, title=f"{title} story {i}", parent=epic.key, sprint=sprints[i]
            )
        epics.append(epic)
    milestone_create(
        project=project,
        user=user,
        name="Baseline reviewed",
        due_date=today - datetime.timedelta(days=12),
        epics=epics[:1],
        completed=True,
    )
    milestone_create(
        project=project,
        user=user,
        name="Pilot on line 3",
        due_date=today + datetime.timedelta(days=35),
        epics=epics[1:],
    )
    return project, epics


DRAWN = """() => {
  const svg = document.querySelector("#roadmap-svg");
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  return {
    bars: Array.from(svg.querySelectorAll("a.rm-epic")).map((a) => [a.dataset.epic, ...box(a.querySelector(".rm-bar"))]),
    diamonds: Array.from(svg.querySelectorAll("a.rm-milestone .rm-diamond")).map(box),
    grid: svg.querySelectorAll(".rm-grid").length,
    today: box(svg.querySelector(".rm-today-line")),
    barFill: getComputedStyle(svg.querySelector(".rm-bar-done") || svg.querySelector(".rm-bar")).fill,
    diamondFill: getComputedStyle(svg.querySelector(".rm-diamond")).fill,
  };
}"""


def test_roadmap_draws_epics_and_milestones_and_fits_a_phone(signed_in_page, live_server):
    page, user = signed_in_page
    watch = Watch(page)
    _, epics = roadmap_project(user)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/projects/CV/roadmap/")
    expect(page.get_by_role("heading", name="Roadmap", exact=True)).to_be_visible()
    drawn = page.evaluate(DRAWN)
    assert [bar[0] for bar in drawn["bars"]] == [e.key for e in epics]
    assert all(width > 20 and height > 5 for _, width, height in drawn["bars"]), drawn
    assert len(drawn["diamonds"]) == 2 and all(w > 5 and h > 5 for w, h in drawn["diamonds"])
    assert drawn["grid"] >= 3 and drawn["today"][1] > 100
    assert drawn["barFill"] not in ("", "none", "rgb(0, 0, 0)") and drawn["diamondFill"] != "rgb(0, 0, 0)"
    expect(page.locator(".milestone").first).to_be_visible()
    expect(page.locator(".milestone", has_text="Pilot on line 3")).to_contain_text(epics[2].key)
    page.screenshot(path="/tmp/roadmap-1440.png", full_page=True)

    # A bar opens its epic.
    page.locator(f'a.rm-epic[data-epic="{epics[1].key}"] .rm-bar').click()
    expect(page).to_have_url(f"{live_server.url}/projects/CV/tickets/{epics[1].key}/")

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/projects/CV/roadmap/")
    widths = page.evaluate("""() => {
      const scroller = document.querySelector(".roadmap-scroll");
      const tabs = document.querySelector(".project-tabs");
      const current = tabs.querySelector('[aria-current="page"]').getBoundingClientRect();
      return {page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth,
              inner: scroller.scrollWidth, box: scroller.clientWidth, boxRight: scroller.getBoundingClientRect().right,
              tabsRight: tabs.getBoundingClientRect().right, tabsScroll: tabs.scrollWidth, tabsBox: tabs.clientWidth,
              currentLeft: current.left, currentRight: current.right};
    }""")
    assert widths["page"] <= widths["viewport"] == PHONE["width"], widths
    assert widths["inner"] > widths["box"] and widths["boxRight"] <= PHONE["width"], widths  # scrolls in its card
    assert widths["tabsRight"] <= PHONE["width"] and widths["tabsScroll"] > widths["tabsBox"], widths
    assert widths["currentLeft"] >= 0 and widths["currentRight"] <= PHONE["width"], widths  # Roadmap tab in view
    expect(page.locator(".rm-today-line")).to_be_in_viewport()  # the timeline opens on today
    page.locator(".roadmap-scroll").evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
    expect(page.locator(f'a.rm-epic[data-epic="{epics[2].key}"]')).to_be_in_viewport()
    page.screenshot(path="/tmp/roadmap-390.png", full_page=True)
    assert not watch.errors and not watch.console_csp, (watch.errors, watch.console_csp)
    assert not page.evaluate("() => window.__csp")


def test_admin_advance_is_refused_then_overridden_on_the_hub(signed_in_page, live_server):
    page, user = signed_in_page
    watch = Watch(page)
    project, _ = roadmap_project(user)
    exit_criteria_create(project, "define", ["Charter approved", "Target written down"])

    page.goto(f"{live_server.url}/projects/CV/")
    panel = page.locator("#lifecycle-panel")
    expect(panel).to_contain_text("Exit criteria of Define")
    panel.get_by_role("button", name="Tick: Charter approved").click()
    expect(panel.get_by_role("button", name="Untick: Charter approved")).to_be_visible()
    expect(panel).to_contain_text("1 of 2 ticked")

    panel.get_by_role("button", name="Advance to Plan").click()
    refusal = page.locator("#phase-refusal")
    expect(refusal).to_contain_text("Target written down")
    expect(refusal).not_to_contain_text("Charter approved")
    refusal.get_by_label("Reason to advance anyway").fill("Sponsor agreed the target by mail.")
    refusal.get_by_role("button", name="Advance to Plan anyway").click()
    # The hub reloads: its header and phase steps show the new phase, with a note.
    expect(page.locator("#messages")).to_contain_text("CV moved to Plan (exit criteria overridden).")
    expect(page.locator('ol.phases li[aria-current="step"]')).to_have_text("Plan")
    expect(panel).to_contain_text("Exit criteria of Plan")
    history = page.locator("#phase-history")
    expect(history).to_contain_text("Define → Plan")
    expect(history).to_contain_text("Sponsor agreed the target by mail.")
    expect(history).to_contain_text("overridden")
    page.screenshot(path="/tmp/lifecycle-hub-1440.png", full_page=True)
    project.refresh_from_db()
    assert project.phase == "plan"
    assert not watch.errors and not watch.console_csp, (watch.errors, watch.console_csp)

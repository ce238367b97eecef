"""Issue 11, item 12: on a phone (390x844) no page of the demo workspace is wider than the
screen, the header search and the project tabs fit, and the backlog shows its tickets first
with the filters behind a "Filters" button."""

import pytest
from playwright.sync_api import expect

from tests.browser.crawl import Watch, project_urls, visit
from tests.browser.demo_workspace import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# What sticks out past the right edge, outside any box that scrolls or clips it.
OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("details:not([open])") && !el.matches("details > summary, details > summary *")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 0.5) continue;
    let p = el.parentElement, clipped = false;
    while (p && p !== document.body) {
      if (getComputedStyle(p).overflowX !== "visible" && p.getBoundingClientRect().right <= vw + 0.5) { clipped = true; break; }
      p = p.parentElement;
    }
    if (!clipped) out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""} ends at ${Math.round(r.right)}px`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, viewport: vw, culprits: out.slice(0, 5)};
}"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}


def test_no_page_of_the_demo_is_wider_than_a_phone(demo, page, live_server):
    urls = [u for u in project_urls(demo, max_tickets=6) if not u.startswith("/api/docs")]  # Swagger UI: vendored
    sign_in(page, live_server, "demo")
    watch = Watch(page)
    too_wide = []
    for url in urls:
        visit(page, watch, f"{live_server.url}{url}")
        found = page.evaluate(OVERFLOW)
        if found["scrollWidth"] > found["viewport"]:
            too_wide.append(f"{url}: {found['scrollWidth']}px wide at {found['viewport']}px: {found['culprits']}")
    assert not too_wide, "\n".join(too_wide)


def test_backlog_on_a_phone_lists_tickets_first_with_filters_behind_a_button(demo, page, live_server):
    sign_in(page, live_server, "demo")
    page.goto(f"{live_server.url}/projects/CV/backlog/")
    text_filter = page.get_by_label("Text", exact=True)
    expect(page.locator("tr.backlog-row").first).to_be_in_viewport()
    expect(text_filter).to_be_hidden()
    # The header search and the project tabs fit on the screen.
    search = page.get_by_role("searchbox", name="Search tickets, docs and runs")
    expect(search).to_be_in_viewport()
    box = search.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    tabs = page.locator(".project-nav-inner")
    assert tabs.bounding_box()["width"] <= PHONE["width"]

    page.locator("summary", has_text="Filters").click()
    expect(text_filter).to_be_visible()
    text_filter.fill("scratch")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("summary", has_text="Filters")).to_contain_text("1 active")
    expect(page.locator("tr.backlog-row").first).to_contain_text("scratch", ignore_case=True)

    # On a wide screen the filters sit open beside the list.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/projects/CV/backlog/")
    expect(page.get_by_label("Text", exact=True)).to_be_visible()

"""The rows that template tags build in Python (docs tree, backlog, sprint planning lists,
runs table) escape every value, in text and in attributes, including the parts only an
editor sees (move buttons, checkboxes, Remove/Add buttons). The pages' own tests and the
XSS crawl cover them as rendered; these hold each tag to it directly."""

from types import SimpleNamespace

from django.template import Context, Template

from docs_hub.selectors import TreeNode, TreeRow

HOSTILE = '<script>x()</script>" onmouseover="y()'
ESCAPED = "&lt;script&gt;x()&lt;/script&gt;&quot; onmouseover=&quot;y()"


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def assert_escaped(html: str) -> None:
    assert "<script>" not in html and '" onmouseover="' not in html, html
    assert ESCAPED in html, html


def test_the_docs_tree_rows_escape_titles_and_slugs_in_links_and_buttons():
    node = TreeNode(id=1, title=HOSTILE, slug="a-page", position=1, parent_id=None, url="/p/a-page/")
    node.first, node.last = False, False
    rows = [TreeRow(0, node, collapsed=2), TreeRow(0, more=3, start=100, parent_slug="")]
    html = render(
        "{% load doc_tree %}{% doc_tree_rows tree %}", tree=rows, can_edit=True, tree_url='/docs/?"x', current=None
    )
    assert_escaped(html)
    assert html.count(f"Move {ESCAPED} up") == 2 and f"sub-pages of {ESCAPED}" in html
    assert 'href="/docs/?&quot;x?from=100"' in html  # the "Show 3 more" link's URL, escaped too


def test_the_backlog_rows_escape_every_cell_and_the_editor_checkbox():
    row = {
        "key": "CV-1",
        "url": "/t/CV-1/",
        "title": HOSTILE,
        "labels": [{"name": HOSTILE, "color": '#fff"'}],
        "type": "task",
        "type_label": "Task",
        "epic_progress": None,
        "priority": "high",
        "priority_label": "High",
        "status_name": HOSTILE,
        "finished": False,
        "assignee": {"label": HOSTILE, "initials": "<b>"},
        "estimate": None,
        "sprint": {"name": HOSTILE, "url": "/s/1/"},
    }
    html = render("{% load project_ui %}{% backlog_rows rows %}", rows=[row], can_edit=True)
    assert_escaped(html)
    assert html.count(ESCAPED) == 5 and 'data-label-color="#fff&quot;"' in html and "&lt;b&gt;" in html


def test_the_sprint_planning_rows_escape_titles_and_statuses():
    row = {"key": "CV-1", "url": "/t/CV-1/", "title": HOSTILE, "estimate": 3, "status_name": HOSTILE, "finished": True}
    html = render('{% load project_ui %}{% plan_rows rows action="remove" button=True %}', rows=[row])
    assert_escaped(html)
    assert html.count(ESCAPED) == 2 and 'aria-label="Remove CV-1 from the sprint"' in html


def test_the_runs_table_rows_escape_names_cells_and_ticket_keys():
    run = SimpleNamespace(
        run_id="abc",
        name=HOSTILE,
        table_name=HOSTILE,
        deleted=True,
        lifecycle=HOSTILE,
        status="FAILED",
        started_text="",
        duration_text="",
        metric_cells=[HOSTILE],
        param_cells=[HOSTILE],
        linked_tickets=[SimpleNamespace(key='CV-1"')],
    )
    html = render(
        "{% load experiments_ui %}{% runs_table_rows runs %}",
        runs=[run],
        run_url_prefix="/runs/",
        ticket_url_prefix="/t/",
    )
    assert_escaped(html)
    assert html.count(ESCAPED) == 5 and 'href="/t/CV-1&quot;/"' in html and "badge-fail" in html

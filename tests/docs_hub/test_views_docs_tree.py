"""The side tree stays bounded on a large space (issue 12, target 6): at most TREE_CAP pages per
list with a "Show N more" link, deeper levels collapsed behind a toggle once the tree holds
TREE_BUDGET rows, both loaded by htmx from the docs home (or followed as plain links), and
the current page's ancestors always open."""

import re

import pytest

from docs_hub import selectors
from docs_hub.models import Doc
from tests.docs_hub.factories import make_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(project, member_of, client):
    user = member_of(project, "member")
    client.force_login(user)
    return user


def docs_url(project, rest=""):
    return f"/projects/{project.key}/docs/{rest}"


def bulk_docs(project, count, *, parent=None, prefix="page"):
    return Doc.objects.bulk_create(
        Doc(project=project, parent=parent, title=f"{prefix.title()} {n:03}", slug=f"{prefix}-{n:03}", position=n)
        for n in range(count)
    )


def tree_items(html):
    return re.findall(r'<li id="tree-([a-z0-9-]+)"', html)


def test_rows_cap_each_list_and_collapse_levels_past_the_budget(project, member):
    a = make_doc(project, title="A")
    for n in range(3):
        make_doc(project, title=f"A{n}", parent=a)
    make_doc(project, title="B")
    make_doc(project, title="C")
    roots = selectors.doc_tree(project=project)
    rows = selectors.tree_rows(roots, cap=2, budget=10)
    assert [
        (r.node.title if r.node else f"+{r.more}@{r.start}/{r.parent_slug}", r.depth, len(r.closes)) for r in rows
    ] == [("A", 0, 0), ("A0", 1, 0), ("A1", 1, 0), ("+1@2/a", 1, 1), ("B", 0, 0), ("+1@2/", 0, 0)]
    collapsed = selectors.tree_rows(roots, cap=2, budget=3)
    assert [(r.node.title, r.opens, r.collapsed) for r in collapsed if r.node] == [("A", False, 3), ("B", False, 0)]
    # The current page's ancestors stay open and in view, beyond the cap.
    a2 = selectors.tree_ancestors(roots, a.children.get(title="A2").id)
    kept = selectors.tree_rows(roots, cap=1, budget=1, keep_open={node.id for node in a2})
    assert [r.node.title if r.node else (r.more, r.more_query) for r in kept] == [
        "A",
        "A0",
        (1, "under=a&from=1&to=2"),
        "A2",
        (2, "from=1"),
    ]


def test_the_docs_home_of_a_project_without_pages_opens(client, project, member):
    response = client.get(docs_url(project))
    assert response.status_code == 200 and tree_items(response.content.decode()) == []
    assert selectors.tree_rows([]) == []


def test_the_docs_home_shows_a_hundred_pages_and_loads_the_rest(client, project, member):
    bulk_docs(project, selectors.TREE_CAP + 30)
    html = client.get(docs_url(project)).content.decode()
    assert len(tree_items(html)) == selectors.TREE_CAP
    assert "Show 30 more" in html
    more = f'href="{docs_url(project)}?from={selectors.TREE_CAP}"'
    assert more in html and f'hx-get="{docs_url(project)}?from={selectors.TREE_CAP}"' in html
    # htmx swaps the "more" row for the next rows; the last one has no further link.
    response = client.get(docs_url(project), {"from": selectors.TREE_CAP}, HTTP_HX_REQUEST="true")
    rows = response.content.decode()
    assert response.status_code == 200 and "<html" not in rows and "<ul" not in rows
    assert tree_items(rows) == [f"page-{n:03}" for n in range(selectors.TREE_CAP, selectors.TREE_CAP + 30)]
    assert "more</a>" not in rows
    # Without htmx the same link is the page with that list shown further.
    page = client.get(docs_url(project), {"from": selectors.TREE_CAP}).content.decode()
    assert "<html" in page and len(tree_items(page)) == selectors.TREE_CAP + 30


def test_deep_levels_load_on_demand_and_the_current_page_stays_open(client, project, member):
    roots = bulk_docs(project, selectors.TREE_CAP + 5)
    last = roots[-1]
    children = bulk_docs(project, selectors.TREE_BUDGET, parent=roots[0], prefix="child")
    bulk_docs(project, selectors.TREE_CAP, parent=roots[1], prefix="other")  # the second level passes the budget
    Doc.objects.create(project=project, parent=last, title="Deep page", slug="deep-page", position=0)
    html = client.get(docs_url(project)).content.decode()
    # Opening the first page's children would pass the budget: a toggle loads them.
    assert "child-000" not in html
    toggle = f'hx-get="{docs_url(project)}?under=page-000"'
    assert toggle in html and f'aria-label="Show {len(children)} sub-pages of Page 000"' in html
    response = client.get(docs_url(project), {"under": "page-000"}, HTTP_HX_REQUEST="true")
    nested = response.content.decode()
    assert nested.lstrip().startswith('<ul role="list" class="doc-tree-level">')
    assert len(tree_items(nested)) == selectors.TREE_CAP and f"Show {len(children) - selectors.TREE_CAP} more" in nested
    assert f"?under=page-000&amp;from={selectors.TREE_CAP}" in nested
    more = client.get(docs_url(project), {"under": "page-000", "from": selectors.TREE_CAP}, HTTP_HX_REQUEST="true")
    assert tree_items(more.content.decode())[0] == f"child-{selectors.TREE_CAP:03}"
    # A page deep in the tree, past the cap of its parent's list: its ancestors are shown open.
    page = client.get(docs_url(project, "deep-page/")).content.decode()
    assert f"tree-{last.slug}" in page and 'aria-current="page">Deep page</a>' in page
    assert len(tree_items(page)) == selectors.TREE_CAP + 2 and "Show 4 more" in page  # pages 100-103 behind a link
    gap = client.get(docs_url(project), {"from": selectors.TREE_CAP, "to": len(roots) - 1}, HTTP_HX_REQUEST="true")
    assert tree_items(gap.content.decode()) == [f"page-{n:03}" for n in range(selectors.TREE_CAP, len(roots) - 1)]
    assert client.get(docs_url(project), {"under": "nope"}, HTTP_HX_REQUEST="true").status_code == 404


@pytest.mark.parametrize("size", [150, 1500])
def test_docs_home_with_a_large_tree_costs_constant_queries(
    client, project, member, size, django_assert_max_num_queries
):
    bulk_docs(project, size)
    with django_assert_max_num_queries(8):
        html = client.get(docs_url(project)).content.decode()
    assert len(tree_items(html)) == selectors.TREE_CAP

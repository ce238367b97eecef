"""Issue 11 item 15: templates load into the editor at once, template placeholders render as a
"pick a run" hint, and search snippets show the text a reader sees, not Markdown and macros."""

import json
import re

import pytest

from docs_hub import macros, selectors
from docs_hub.builtin_templates import BUILTIN_TEMPLATES
from docs_hub.plaintext import markdown_to_text
from docs_hub.search import search
from docs_hub.search.snippets import marked_to_html, plain_snippet
from tests.docs_hub.factories import make_doc

pytestmark = pytest.mark.django_db


def test_template_placeholder_renders_as_a_pick_a_run_hint(project):
    doc = make_doc(project, title="Report", template="experiment-report")
    html = selectors.doc_current_html(doc=doc)
    visible = re.sub(r"<[^>]+>", "", html)  # the macro's source stays only in its tooltip
    assert "{{run:BASELINE_RUN_ID" not in visible
    assert "run not found" not in visible
    hint = re.search(r'<span class="macro macro-run macro-placeholder"[^>]*>([^<]*)</span>', html)
    assert hint and "pick a run" in hint.group(1) and "BASELINE_RUN_ID" in hint.group(1)


def test_placeholder_hint_is_escaped(project):
    [value] = macros.resolve(project, [{"kind": "run", "arg": "RUN_ID", "options": {}, "source": "{{run:RUN_ID}}"}])
    assert value["state"] == "placeholder"
    html = macros.macro_html({"kind": "run", "source": '"><script>'}, value)
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


def test_choosing_a_template_by_link_fills_the_editor(client, project, member_of):
    client.force_login(member_of(project, "member"))
    response = client.get(f"/projects/{project.key}/docs/new/", {"template": "experiment-report"})
    body = response.content.decode()
    report = next(t for t in BUILTIN_TEMPLATES if t.slug == "experiment-report")
    textarea = re.search(r'<textarea[^>]*id="id_body"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert "## Hypothesis" in textarea
    # Every template's text is in the page for the editor to load on choosing it (docs.js).
    data = re.search(r'<script id="doc-template-bodies" type="application/json">(.*?)</script>', body, re.S)
    assert json.loads(data.group(1))["experiment-report"] == report.body


def test_plain_text_of_markdown_and_macros():
    text = markdown_to_text(
        "## Setup\n- **Baseline** run: {{run:BASELINE_RUN_ID metric:val_f1}}\n"
        "See [[Data plan|the plan]] and [docs](https://x.test) `val_f1_x` *now*\n"
        "| F1 | {{ticket:CV-12}} |\n| --- | --- |\n"
    )
    assert text == ("Setup Baseline run: val_f1 of a run (to pick) See the plan and docs val_f1_x now F1 CV-12")


def test_snippet_helpers_strip_markdown_but_keep_marks_and_escaping():
    assert marked_to_html("## \u2e28Baseline\u2e29 **<b>x</b>**") == "<mark>Baseline</mark> &lt;b&gt;x&lt;/b&gt;"
    snippet = plain_snippet("# Title\n\n**Baseline** {{run:BASELINE_RUN_ID metric:val_f1}}", ["baseline"])
    assert "**" not in snippet and "{{" not in snippet and "#" not in snippet
    assert "<mark>Baseline</mark>" in snippet


def test_search_snippets_show_rendered_text(project, member_of):
    user = member_of(project, "viewer")
    make_doc(
        project,
        title="Comparison",
        body="## Results\n\n**Candidate** beats baseline: {{run:BASELINE_RUN_ID metric:val_f1}} see [[Data plan]]",
    )
    [hit] = [h for h in search(user=user, query="candidate") if h.type == "doc"]
    assert "**" not in hit.snippet and "{{" not in hit.snippet and "[[" not in hit.snippet and "##" not in hit.snippet
    assert "Candidate" in hit.snippet

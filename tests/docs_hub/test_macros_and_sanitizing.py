import pytest

from docs_hub import macros, selectors, services
from docs_hub.models import DocRevision
from projects.models import Ticket, WorkflowStatus
from tests.docs_hub.factories import make_doc
from tests.projects.factories import TicketFactory

pytestmark = pytest.mark.django_db

XSS_PAYLOADS = [
    "<script>window.__xss = 1</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "![x](javascript:alert(1))",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<object data="javascript:alert(1)"></object>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<a href='vbscript:msgbox(1)'>vb</a>",
    "[[<script>alert(1)</script>]]",
    "[[x|<img src=x onerror=alert(1)>]]",
    "{{ticket:<script>alert(1)</script>}}",
    "<scr<script>ipt>alert(1)</script>",
    "```html\n<script>alert(1)</script>\n```",
    '{: onclick="alert(1)" }\n\nparagraph {: onmouseover=alert(1) }',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_never_reach_the_page(project, payload):
    doc = make_doc(project, title="Hostile", body=f"Intro\n\n{payload}\n\nOutro")
    html = selectors.doc_current_html(doc=doc).lower()
    assert "<script" not in html
    assert "javascript:" not in html and "vbscript:" not in html and "data:text/html" not in html
    for tag in ("<iframe", "<object", "<svg", "<math", "<style", "<form", "<body"):
        assert tag not in html
    import re

    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), html
    assert not re.search(r"<[^>]+\sstyle\s*=", html), html


def test_markdown_features_tables_code_tasks_anchors_toc(project):
    doc = make_doc(
        project,
        title="Features",
        body=(
            "# Overview\n\n## Results\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n"
            "```python\ndef f():\n    return 1\n```\n\n- [x] done\n- [ ] todo\n"
        ),
    )
    html = doc.body_html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'class="codehilite"' in html and '<span class="k">def</span>' in html
    assert (
        '<input type="checkbox" disabled="" checked="" aria-label="Done">' in html
        and html.count('type="checkbox"') == 2
    )
    assert '<input type="checkbox" disabled="" aria-label="Not done">' in html  # named for screen readers (axe)
    # Ids from Markdown carry a prefix so a doc cannot take the id of the page's own elements.
    assert 'id="md-results"' in html and 'href="#md-results"' in html and "headerlink" in html
    assert 'href="#md-overview"' in doc.toc_html and 'href="#md-results"' in doc.toc_html


def test_ticket_macro_shows_current_status_and_revision_keeps_the_old_one(project):
    ticket = TicketFactory(project=project, title="Baseline model")
    doc = make_doc(project, title="Status page", body=f"State: {{{{ticket:{ticket.key}}}}}")
    assert "[To do]" in selectors.doc_current_html(doc=doc)
    done = WorkflowStatus.objects.get(project=project, slug="done")
    Ticket.objects.filter(pk=ticket.pk).update(status=done, title="Baseline model v2")
    current = selectors.doc_current_html(doc=doc)
    assert "Baseline model v2 [Done]" in current and "macro-done" in current
    first = DocRevision.objects.get(doc=doc, version=1)
    frozen = selectors.revision_html(revision=first)
    assert "Baseline model [To do]" in frozen and "[Done]" not in frozen
    # A new save freezes the new values; the first revision still reads as before.
    services.doc_update(doc=doc, author=None, body=doc.body + "\n\nShipped.")
    assert "[Done]" in selectors.revision_html(revision=DocRevision.objects.get(doc=doc, version=2))
    assert "[To do]" in selectors.revision_html(revision=DocRevision.objects.get(doc=doc, version=1))


def test_ticket_macro_of_another_project_is_not_found(project):
    from tests.projects.factories import ProjectFactory

    secret = TicketFactory(project=ProjectFactory(), title="Secret plan")
    doc = make_doc(project, title="Probe", body=f"{{{{ticket:{secret.key}}}}}")
    html = selectors.doc_current_html(doc=doc)
    assert "Secret plan" not in html and "ticket not found" in html


def test_run_macro_without_runs_says_not_found_and_registry_takes_new_kinds(project):
    doc = make_doc(project, title="Card", body="F1: {{run:abc123 metric:val_f1}} and {{widget:x}}")
    html = selectors.doc_current_html(doc=doc)
    assert "run not found" in html and "unknown macro" in html
    calls = []

    def resolve_widgets(project, found):
        calls.append([m["arg"] for m in found])
        return [{"text": f"widget {m['arg']} ok"} for m in found]

    macros.register_macro_resolver("widget", resolve_widgets)
    try:
        assert "widget x ok" in selectors.doc_current_html(doc=doc)
        assert calls == [["x"]]
    finally:
        macros.resolvers.pop("widget")


def test_macro_values_are_escaped(project):
    ticket = TicketFactory(project=project, title="<img src=x onerror=alert(1)>")
    doc = make_doc(project, title="Escaping", body=f"{{{{ticket:{ticket.key}}}}}")
    html = selectors.doc_current_html(doc=doc)
    assert "<img" not in html and "&lt;img" in html

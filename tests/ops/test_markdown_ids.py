"""Markdown cannot take the id of an element of the page around it (the live-update marker,
chart data): every id it writes is prefixed, and its in-page links follow."""

from aihub.markdown import render_markdown, render_markdown_with_toc


def test_raw_html_ids_are_prefixed():
    html = render_markdown('<div id="live">x</div>\n\n<span id="velocity-data">[1]</span>')
    assert 'id="live"' not in html and 'id="velocity-data"' not in html
    assert 'id="md-live"' in html and 'id="md-velocity-data"' in html


def test_headings_toc_and_in_page_links_agree():
    html, toc = render_markdown_with_toc("# Results\n\nSee [the results](#results).\n")
    assert 'id="md-results"' in html
    assert 'href="#md-results"' in html and 'href="#md-results"' in toc


def test_sanitizing_twice_does_not_prefix_twice():
    from aihub.markdown import sanitize

    once = sanitize('<h2 id="a">t</h2><a href="#a">l</a>')
    assert sanitize(once) == once


def test_a_text_leaves_nothing_behind_for_the_next_one():
    """Each thread reuses its Markdown parser: definitions, footnotes, heading ids and the
    table of contents of one text must not reach the next (nor a text left too complex)."""
    from aihub.markdown import render_markdown, render_markdown_with_toc

    first = render_markdown(
        "The HTML spec[^1], [ref][r].\n\n*[HTML]: Hyper Text\n\n[^1]: note\n\n[r]: http://a.org\n\n# Head"
    )
    assert "<abbr" in first and "footnote" in first and 'href="http://a.org"' in first
    render_markdown("[" * 50_000)  # too complex: shown as written
    second = render_markdown("HTML again [ref][r] and [^1]\n\n# Head")
    assert "<abbr" not in second and "footnote" not in second and "a.org" not in second
    assert 'id="md-head"' in second  # not head_1: the ids of the first text are forgotten
    assert render_markdown_with_toc("# Only")[1].count("<li>") == 1
    assert render_markdown_with_toc("no headings")[1] == ""

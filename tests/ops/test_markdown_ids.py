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

"""Highlighted snippets that are always safe HTML. PostgreSQL's ts_headline marks matches
with sentinels; the text is escaped here and the sentinels become <mark>."""

import re

from django.utils.html import escape

from ..plaintext import markdown_to_text

START, STOP = "\u2e28", "\u2e29"
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter= … "


def marked_to_html(text: str) -> str:
    """A ts_headline excerpt of a Markdown field as the reader sees it: markup and macros
    become plain text (docs_hub.plaintext), then escaped, the sentinels become <mark>."""
    html = escape(markdown_to_text(text or ""))
    return html.replace(START, "<mark>").replace(STOP, "</mark>")


def plain_snippet(text: str, words: list[str], width: int = 160) -> str:
    """The fallback (SQLite): a window around the first match of the plain text, matches marked."""
    text = markdown_to_text(text or "")
    lowered = text.lower()
    first = min((i for i in (lowered.find(w.lower()) for w in words) if i >= 0), default=0)
    start = max(0, first - width // 3)
    excerpt = text[start : start + width]
    html = escape(excerpt)
    for word in sorted({w for w in words if w}, key=len, reverse=True):
        html = re.sub(f"({re.escape(escape(word))})", r"<mark>\1</mark>", html, flags=re.IGNORECASE)
    return ("… " if start else "") + html + (" …" if start + width < len(text) else "")

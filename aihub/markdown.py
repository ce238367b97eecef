"""Markdown to safe HTML: rendered once when text is saved, stored beside the source.

nh3 (ammonia) removes scripts, event-handler attributes and `javascript:` URLs whatever
the Markdown produced, so every stored `*_html` field is safe to show as is.
"""
import re
from collections.abc import Callable

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "input": {"type", "checked", "disabled"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "codehilite", "toc"]
EXTENSION_CONFIGS = {
    "codehilite": {"guess_lang": False, "css_class": "codehilite"},
    "toc": {"permalink": False},
}

TASK_ITEM = re.compile(r"<li>\s*(?:<p>)?\[([ xX])\]\s")


def _task_lists(html: str) -> str:
    def checkbox(match: re.Match) -> str:
        checked = " checked" if match.group(1).lower() == "x" else ""
        prefix = match.group(0)[: match.group(0).index("[")].replace("<li>", '<li class="task">', 1)
        return f'{prefix}<input type="checkbox" disabled{checked}> '

    return TASK_ITEM.sub(checkbox, html)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str, *, preprocess: Callable[[str], str] | None = None) -> str:
    """Render Markdown and sanitize the result. `preprocess` may rewrite the source first
    (for example turning ticket keys into links)."""
    source = preprocess(text or "") if preprocess else (text or "")
    html = markdown.markdown(source, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html")
    return sanitize(_task_lists(html))


def render_markdown_with_toc(text: str, *, preprocess: Callable[[str], str] | None = None) -> tuple[str, str]:
    """Like render_markdown, with a pilcrow anchor on each heading, and the table of
    contents (sanitized HTML, empty without headings) beside the body."""
    source = preprocess(text or "") if preprocess else (text or "")
    configs = {**EXTENSION_CONFIGS, "toc": {"permalink": "¶", "permalink_title": "Link to this section"}}
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=configs, output_format="html")
    html = md.convert(source)
    toc = getattr(md, "toc", "") if getattr(md, "toc_tokens", None) else ""
    return sanitize(_task_lists(html)), sanitize(toc)

"""Markdown to safe HTML: rendered once when text is saved, stored beside the source.

nh3 (ammonia) removes scripts, event-handler attributes and `javascript:` URLs whatever
the Markdown produced, so every stored `*_html` field is safe to show as is.

Rendering does bounded work whatever the text (issue 8, finding 4). Python-Markdown does
quadratic work on some inputs (a run of `[` rescans the rest of the paragraph for each
bracket; each inline match rebuilds its paragraph; a nested block re-reads what follows
it) and recurses once per nesting level. So:
- link text is matched through one bracket index per paragraph (`_closers`), link targets
  are read within a window of `MAX_LINK_TARGET` characters, footnote ids within 200;
- every block and inline pass charges what it reads to a `RenderBudget`; nesting deeper
  than `MAX_NESTING`, more than `MAX_RAW_HTML_TAGS` raw HTML tags or more than
  `MAX_HEADINGS` headings also count as too complex;
- too complex (or a RecursionError): the text is shown as written, escaped, in a
  `<pre class="markdown-plain">` under a one-line note. Never a 500.
Sizes are capped before rendering: see aihub/limits.py.
"""

import re
import threading
from collections.abc import Callable

import markdown
import nh3
from django.utils.html import escape
from markdown import blockparser, inlinepatterns, treeprocessors
from markdown.extensions import Extension
from pygments.formatters.html import HtmlFormatter

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "input": {"type", "checked", "disabled", "aria-label"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "codehilite", "toc"]


class CodeFormatter(HtmlFormatter):
    """Pygments' HTML formatter, with its table of token classes built once per style:
    Pygments rebuilt it for every code block (about a millisecond each)."""

    _tables: dict = {}

    def __init__(self, lang_str: str = "", **options):
        super().__init__(**options)

    def _create_stylesheet(self):
        key = (self.style, self.classprefix)
        if key not in CodeFormatter._tables:
            super()._create_stylesheet()
            CodeFormatter._tables[key] = (self.ttype2class, self.class2style)
        self.ttype2class, self.class2style = CodeFormatter._tables[key]


EXTENSION_CONFIGS = {
    "codehilite": {"guess_lang": False, "css_class": "codehilite", "pygments_formatter": CodeFormatter},
    "toc": {"permalink": False},
}

# Bounds on the work one text may ask for (see the module docstring).
# The budget is in units of about 0.1 µs of CPU on a 2020s server core, charged where
# Python-Markdown loops: each block pass (its processors test the block, and tables, lists
# and definitions read it line by line), each inline pattern pass over a text (a regular
# expression search plus a rebuild of the text after a match), each link opener tried,
# each bracket indexed and each character of a link target read; table cells (`|`) and
# emphasis delimiters cost more than their length. 1,200,000 is 120 to 200 ms on this
# project's 2-core CI machines; ordinary text at its field's cap (aihub/limits.py) stays
# below it, and a text that spends it is shown as written.
RENDER_BUDGET = 1_200_000
MAX_NESTING = 24  # lists and quotes inside each other
MAX_LINK_TARGET = 2_000  # characters of a link's (url "title")
MAX_RAW_HTML_TAGS = 500  # `<x`: the HTML parser rescans after each unclosed tag
MAX_MARKUP_CHARS = 5_000  # `<` and `&`: the HTML parser handles each one on its own
MAX_HEADINGS = 500
MAX_FENCES = 400  # fence lines (``` or ~~~): each opener is matched by a regular expression
# Above this many fence lines, code is shown without colours (one Pygments formatter per
# block costs about a millisecond).
MAX_HIGHLIGHTED_FENCES = 80

PLAIN_NOTE = "This text is shown as written: it is too complex to format."

TASK_ITEM = re.compile(r"<li>\s*(?:<p>)?\[([ xX])\]\s")
BRACKETS = re.compile(r"[\[\]]")
RAW_HTML_TAG = re.compile(r"<[A-Za-z/!?]")
HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)|^ {0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)
FENCE = re.compile(r"^ {0,3}(?:```|~~~)", re.MULTILINE)
FOOTNOTE_RE = r"\[\^([^\[\]\n]{1,200})\]"


class TooComplex(Exception):
    """The text asks for more work than a render may do."""


class RenderBudget:
    __slots__ = ("brackets", "depth", "left")

    def __init__(self, units: int):
        self.left = units
        self.depth = 0
        self.brackets: tuple[str, int, dict[int, int]] | None = None

    def charge(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise TooComplex("render budget spent")


def _closers(md, data: str, start: int) -> dict[int, int]:
    """Position of each `[` (from `start` on) -> position of its matching `]`: what
    Python-Markdown's getText finds by scanning, found once per paragraph string."""
    budget = md.render_budget
    cached = budget.brackets
    if cached is not None and cached[0] is data and cached[1] <= start:
        return cached[2]
    closers: dict[int, int] = {}
    stack: list[int] = []
    count = 0
    for match in BRACKETS.finditer(data, start):
        count += 1
        if match.group() == "[":
            stack.append(match.start())
        elif stack:
            closers[stack.pop()] = match.start()
    budget.charge(10 * count)
    budget.brackets = (data, start, closers)
    return closers


class _BoundedLinks:
    """getText through the bracket index; getLink within a window."""

    def getText(self, data: str, index: int):
        self.md.render_budget.charge(25)
        if index > 0 and data[index - 1] == "[":
            close = _closers(self.md, data, index - 1).get(index - 1)
            if close is None:
                return "", index, False
            return data[index:close], close + 1, True
        return super().getText(data, index)

    def getLink(self, data: str, index: int):
        window = data[index : index + MAX_LINK_TARGET]
        href, title, end, handled = super().getLink(window, 0)
        self.md.render_budget.charge(6 * (end if handled else len(window)))
        return href, title, index + end, handled


def _bounded(cls):
    return type(f"Bounded{cls.__name__}", (_BoundedLinks, cls), {})


LINK_PROCESSORS = {
    "reference": _bounded(inlinepatterns.ReferenceInlineProcessor),
    "link": _bounded(inlinepatterns.LinkInlineProcessor),
    "image_link": _bounded(inlinepatterns.ImageInlineProcessor),
    "image_reference": _bounded(inlinepatterns.ImageReferenceInlineProcessor),
    "short_reference": _bounded(inlinepatterns.ShortReferenceInlineProcessor),
    "short_image_ref": _bounded(inlinepatterns.ShortImageReferenceInlineProcessor),
}


class _BoundedInlineTreeprocessor(treeprocessors.InlineProcessor):
    def _InlineProcessor__handleInline(self, data, patternIndex=0):
        budget = self.md.render_budget
        budget.depth += 1
        try:
            if budget.depth > MAX_NESTING:  # emphasis in links in emphasis...
                raise TooComplex("inline markup nested too deep")
            return super()._InlineProcessor__handleInline(data, patternIndex)
        finally:
            budget.depth -= 1

    # Each pass of a pattern reads the rest of its text (and a match rebuilds it).
    def _InlineProcessor__applyPattern(self, pattern, data, patternIndex, startIndex=0):
        units = 60 + (len(data) - startIndex) // 8
        if isinstance(pattern, inlinepatterns.DelimiterProcessor):  # pairs every * and _ in one go
            units += 40 * (data.count("*", startIndex) + data.count("_", startIndex))
        self.md.render_budget.charge(units)
        return super()._InlineProcessor__applyPattern(pattern, data, patternIndex, startIndex)


class _BoundedBlockParser(blockparser.BlockParser):
    def parseBlocks(self, parent, blocks):
        budget = self.md.render_budget
        budget.depth += 1
        try:
            if budget.depth > MAX_NESTING:
                raise TooComplex("nested too deep")
            while blocks:
                block = blocks[0]
                budget.charge(150 + len(block) // 8 + 20 * block.count("\n") + 200 * block.count("|"))
                for processor in self.blockprocessors:
                    if processor.test(parent, blocks[0]) and processor.run(parent, blocks) is not False:
                        break
        finally:
            budget.depth -= 1


class BoundedExtension(Extension):
    """Swap in the bounded parts above (listed last: after the other extensions registered theirs)."""

    def extendMarkdown(self, md):
        md.render_budget = RenderBudget(RENDER_BUDGET)
        md.parser.__class__ = _BoundedBlockParser
        for name, cls in LINK_PROCESSORS.items():
            md.inlinePatterns[name].__class__ = cls
        if "footnote" in md.inlinePatterns:
            md.inlinePatterns["footnote"].compiled_re = re.compile(FOOTNOTE_RE, re.DOTALL | re.UNICODE)
        md.treeprocessors["inline"].__class__ = _BoundedInlineTreeprocessor


def _task_lists(html: str) -> str:
    def checkbox(match: re.Match) -> str:
        checked = " checked" if match.group(1).lower() == "x" else ""
        prefix = match.group(0)[: match.group(0).index("[")].replace("<li>", '<li class="task">', 1)
        label = "Done" if checked else "Not done"  # a name for screen readers (axe: label)
        return f'{prefix}<input type="checkbox" disabled{checked} aria-label="{label}"> '

    return TASK_ITEM.sub(checkbox, html)


# Ids written in Markdown (headings, footnotes, raw HTML) get this prefix, and in-page links
# follow them, so no text can take the id of the page's own elements ("live", chart data).
USER_ID_PREFIX = "md-"


def _prefix_ids(tag: str, attribute: str, value: str) -> str:
    if attribute == "id" and not value.startswith(USER_ID_PREFIX):
        return USER_ID_PREFIX + value
    if attribute == "href" and value.startswith("#") and not value.startswith("#" + USER_ID_PREFIX):
        return "#" + USER_ID_PREFIX + value[1:]
    return value


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_prefix_ids,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_html(text: str) -> str:
    """The text as written, escaped, under a note: what a too-complex text renders to."""
    return f'<p class="markdown-plain-note">{PLAIN_NOTE}</p><pre class="markdown-plain">{escape(text)}</pre>'


def _check_shape(source: str) -> None:
    """Cheap counts (C speed) of what makes Python-Markdown slow whatever the budget."""
    if len(RAW_HTML_TAG.findall(source)) > MAX_RAW_HTML_TAGS:
        raise TooComplex("too many raw HTML tags")
    if source.count("<") + source.count("&") > MAX_MARKUP_CHARS:
        raise TooComplex("too many < and &")
    if len(HEADING.findall(source)) > MAX_HEADINGS:
        raise TooComplex("too many headings")
    if len(FENCE.findall(source)) > MAX_FENCES:
        raise TooComplex("too many code fences")


def _convert(source: str, *, toc_permalink: bool) -> tuple[str, str]:
    _check_shape(source)
    md = _parser(toc_permalink=toc_permalink, use_pygments=len(FENCE.findall(source)) <= MAX_HIGHLIGHTED_FENCES)
    try:
        html = md.convert(source)
    except BaseException:
        # A convert stopped half way may leave state behind: this thread starts a new parser.
        _parsers.__dict__.clear()
        raise
    toc = getattr(md, "toc", "") if getattr(md, "toc_tokens", None) else ""
    return html, toc


# Building a Markdown parser (its extensions, processors and patterns) cost about 2 ms, more
# than rendering a typical description: each thread keeps one per configuration and resets
# it between texts (Python-Markdown's reset() clears what a convert leaves: footnotes,
# references, the table of contents). Per thread, since gunicorn may run threads.
_parsers = threading.local()


def _parser(*, toc_permalink: bool, use_pygments: bool) -> markdown.Markdown:
    key = (toc_permalink, use_pygments)
    md = _parsers.__dict__.get(key)
    if md is None:
        configs = dict(EXTENSION_CONFIGS)
        if toc_permalink:
            configs["toc"] = {"permalink": "¶", "permalink_title": "Link to this section"}
        if not use_pygments:
            configs["codehilite"] = {**configs["codehilite"], "use_pygments": False}
        md = markdown.Markdown(
            extensions=[*EXTENSIONS, BoundedExtension()], extension_configs=configs, output_format="html"
        )
        _parsers.__dict__[key] = md
    else:
        md.reset()
    md.render_budget = RenderBudget(RENDER_BUDGET)
    return md


def _render(
    text: str, preprocess: Callable[[str], str] | None, *, toc_permalink: bool, plain_text: str | None = None
) -> tuple[str, str]:
    text = text or ""
    try:
        source = preprocess(text) if preprocess else text
        html, toc = _convert(source, toc_permalink=toc_permalink)
    except (TooComplex, RecursionError):
        return sanitize(plain_html(text if plain_text is None else plain_text)), ""
    return sanitize(_task_lists(html)), sanitize(toc)


def render_markdown(text: str, *, preprocess: Callable[[str], str] | None = None) -> str:
    """Render Markdown and sanitize the result. `preprocess` may rewrite the source first
    (for example turning ticket keys into links). A text too complex to format comes
    back as escaped plain text (see the module docstring)."""
    return _render(text, preprocess, toc_permalink=False)[0]


def render_markdown_with_toc(
    text: str, *, preprocess: Callable[[str], str] | None = None, plain_text: str | None = None
) -> tuple[str, str]:
    """Like render_markdown, with a pilcrow anchor on each heading, and the table of
    contents (sanitized HTML, empty without headings) beside the body. `plain_text` is
    what to show as written if the text is too complex (default: `text`)."""
    return _render(text, preprocess, toc_permalink=True, plain_text=plain_text)

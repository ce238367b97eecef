"""Markdown as the plain text a reader sees: for search snippets and other one-line excerpts.

`markdown_to_text("## Setup\n- **Baseline**: {{run:BASELINE_RUN_ID metric:val_f1}} [[Data plan]]")`
-> "Setup Baseline: val_f1 of a run (to pick) Data plan". Raw HTML stays as text: the result
is never trusted markup, and whoever puts it in a page escapes it."""

import re

from .macros import MACRO, PLACEHOLDER_ARG, parse_options

FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$", re.MULTILINE)
IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
WIKI = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")
REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?", re.MULTILINE)
RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.MULTILINE)
STRONG = re.compile(r"(\*\*|__|~~)")
STAR = re.compile(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
# What a cut excerpt (ts_headline) leaves of a macro or link: "{{run:abc", "[[Data plan".
PARTIAL = re.compile(r"\{\{\s*[a-z]+:|\{\{|\}\}|\[\[|\]\]|\]\([^)\s]*\)?")
UNDERSCORE_EMPHASIS = re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])")


def _macro_text(match: re.Match) -> str:
    kind, arg = match.group("kind"), match.group("arg")
    options = parse_options(match.group("options") or "")
    if PLACEHOLDER_ARG.match(arg):
        subject = f"a {kind} (to pick)"
    elif kind == "run":
        subject = f"run {arg[:8]}"
    else:
        subject = arg
    metric = options.get("metric")
    return f"{metric} of {subject}" if metric else subject


def markdown_to_text(text: str) -> str:
    """The words of a Markdown text without its markup, macros as short phrases, on one line."""
    text = text or ""
    text = FENCE.sub(" ", text)
    text = TABLE_RULE.sub(" ", text)
    text = MACRO.sub(_macro_text, text)
    text = IMAGE.sub(r"\1", text)
    text = WIKI.sub(lambda m: m.group(2) or m.group(1), text)
    text = LINK.sub(r"\1", text)
    text = REFERENCE_LINK.sub(r"\1", text)
    text = RULE.sub(" ", text)
    text = HEADING.sub("", text)
    text = QUOTE.sub("", text)
    text = LIST_ITEM.sub("", text)
    text = text.replace("`", "")
    text = STRONG.sub("", text)
    text = STAR.sub("", text)
    text = UNDERSCORE_EMPHASIS.sub(r"\1", text)
    text = PARTIAL.sub(" ", text)
    text = text.replace("|", " ")
    return re.sub(r"\s+", " ", text).strip()

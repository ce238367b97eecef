"""Imported text to HTML: Markdown through aihub.markdown once per distinct text, and a
shortcut for plain text (most Jira comments) that gives the same HTML without the parser."""

import re

from aihub.markdown import render_markdown


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Text with no Markdown syntax at all renders to bare paragraphs: built directly, it
# costs microseconds instead of a Markdown parser per text (most Jira comments are plain).
PLAIN_CHARS = re.compile(r"[`*_\[\]<>&\\|~{}\t]")  # Markdown syntax, HTML, entities
LINE_START = re.compile(r"^(?:\s|[#>\-+*:=]|\d+[.)])", re.M)


def plain_paragraphs(text: str) -> str | None:
    """The HTML render_markdown gives a text without Markdown syntax, or None when the text
    may hold some (then the full renderer runs)."""
    if PLAIN_CHARS.search(text) or LINE_START.search(text) or re.search(r"[ \t]\n|\s$", text):
        return None
    # No <, > or & got through PLAIN_CHARS: nothing to escape nor to sanitize.
    return "\n".join(f"<p>{p}</p>" for p in re.split(r"\n\s*\n", text) if p)


class Renderer:
    """Markdown to HTML once per distinct text (Jira descriptions repeat templates)."""

    def __init__(self):
        self.cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if not text:
            return ""
        if text not in self.cache:
            if len(self.cache) > 5000:
                self.cache.clear()
            self.cache[text] = plain_paragraphs(text) or render_markdown(text)
        return self.cache[text]

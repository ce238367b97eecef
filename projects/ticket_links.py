"""Ticket keys in Markdown (CV-12) become links to their ticket page, and @username
mentions become highlighted. Other apps (docs) call `linkify_ticket_keys` and
`ticket_keys_in` so a key means the same thing everywhere."""
import re

from django.urls import reverse

from aihub.markdown import render_markdown

from .models import PROJECT_KEY_PATTERN

# A key not glued to a word, a path or a URL: "CV-12" but not "ABCV-12x" or "/CV-12".
TICKET_KEY_RE = re.compile(rf"(?<![\w/#-])({PROJECT_KEY_PATTERN})-(\d+)\b(?![\w-])")
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.+-]*[A-Za-z0-9_+-])")
# Code spans and fenced blocks are left as written.
CODE_RE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)


def ticket_url(key: str) -> str:
    project_key = key.rsplit("-", 1)[0]
    return reverse("projects:ticket", kwargs={"key": project_key, "ticket_key": key})


def _outside_code(text: str, replace) -> str:
    parts = CODE_RE.split(text or "")
    return "".join(part if i % 2 else replace(part) for i, part in enumerate(parts))


def ticket_keys_in(text: str) -> list[str]:
    """Every ticket key written in `text` (outside code), in order, without repeats."""
    found: list[str] = []
    _outside_code(text, lambda part: found.extend(f"{m[0]}-{m[1]}" for m in TICKET_KEY_RE.findall(part)) or part)
    return list(dict.fromkeys(found))


def mentions_in(text: str) -> list[str]:
    """Usernames written as @username in `text` (outside code), without repeats."""
    found: list[str] = []
    _outside_code(text, lambda part: found.extend(MENTION_RE.findall(part)) or part)
    return list(dict.fromkeys(found))


def linkify_ticket_keys(text: str) -> str:
    """Markdown source with every ticket key turned into a Markdown link to the ticket.
    Keys inside existing links' text or URLs and inside code are left alone."""

    def replace(part: str) -> str:
        # Leave Markdown links [text](url) as they are.
        pieces = re.split(r"(\[[^\]]*\]\([^)]*\))", part)
        return "".join(
            piece if j % 2 else TICKET_KEY_RE.sub(
                lambda m: f"[{m.group(0)}]({ticket_url(m.group(0))})", piece)
            for j, piece in enumerate(pieces)
        )

    return _outside_code(text, replace)


def _mark_mentions(text: str) -> str:
    return _outside_code(text, lambda part: MENTION_RE.sub(lambda m: f"**@{m.group(1)}**", part))


def render_ticket_markdown(text: str) -> str:
    """Markdown to sanitized HTML with ticket keys linked and mentions emphasised."""
    return render_markdown(text, preprocess=lambda source: _mark_mentions(linkify_ticket_keys(source)))

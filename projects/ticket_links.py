"""Links to tickets: the ticket page's URL (ticket_url, ticket_url_parts: the one place a
ticket URL is built), and ticket keys in Markdown (CV-12) turned into links, @username
mentions highlighted. Other apps (docs) call `ticket_url`, `linkify_ticket_keys` and
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
# A Markdown link [text](url), left as it is; or a ticket key. One pass over the text, with
# bounded link parts, so a run of "[" or "](" costs no more than its length.
LINK_OR_KEY_RE = re.compile(r"(?P<link>\[[^\[\]]{0,1000}\]\([^()\n]{0,2000}\))|" + TICKET_KEY_RE.pattern)
# Links made per text: past these, keys stay plain text (a wall of keys is not a page of
# links, and each link costs the renderer; see aihub/markdown.py).
MAX_TICKET_LINKS = 200


def ticket_url(key: str) -> str:
    """The ticket page of `key` (CV-12). Every app links to a ticket through this."""
    project_key = key.rsplit("-", 1)[0]
    return reverse("projects:ticket", kwargs={"key": project_key, "ticket_key": key})


def ticket_url_parts(project_key: str) -> tuple[str, str]:
    """The ticket page URL of `project_key` around a key, as (prefix, suffix): reversed once
    for a page or an answer that links many tickets (prefix + key + suffix each), instead
    of once per ticket."""
    marker = f"{project_key}-0"
    prefix, _, suffix = reverse("projects:ticket", kwargs={"key": project_key, "ticket_key": marker}).partition(marker)
    return prefix, suffix


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


def _existing_keys(candidates: list[str], project) -> set[str]:
    """Which of these keys name real tickets (of `project` when given), in one query, so
    "GPT-4" or "COVID-19" in a text stay plain words."""
    if not candidates:
        return set()
    from .models import Ticket

    tickets = Ticket.objects.filter(key__in=candidates)
    if project is not None:
        tickets = tickets.filter(project=project)
    return set(tickets.values_list("key", flat=True))


def linkify_ticket_keys(text: str, *, project=None, known_keys: set[str] | None = None) -> str:
    """Markdown source with every key of an existing ticket (of `project`, when given: pass
    it, so a text never reveals another project's tickets) turned into a Markdown link to
    the ticket. Keys inside existing links and inside code are left alone. `known_keys`: the
    keys of `project`'s tickets when the caller has them (many texts, no query each)."""
    candidates = ticket_keys_in(text)[:MAX_TICKET_LINKS]
    if known_keys is not None:
        existing = {key for key in candidates if key in known_keys}
    else:
        existing = _existing_keys(candidates, project)
    if not existing:
        return text or ""
    urls: dict[str, str] = {}
    made = 0

    def link(match: re.Match) -> str:
        nonlocal made
        key = match.group(0)
        if match.group("link") is not None or key not in existing or made >= MAX_TICKET_LINKS:
            return key
        made += 1
        if key not in urls:
            urls[key] = ticket_url(key)
        return f"[{key}]({urls[key]})"

    return _outside_code(text, lambda part: LINK_OR_KEY_RE.sub(link, part))


def _mark_mentions(text: str) -> str:
    return _outside_code(text, lambda part: MENTION_RE.sub(lambda m: f"**@{m.group(1)}**", part))


def render_ticket_markdown(text: str, *, project=None, known_keys: set[str] | None = None) -> str:
    """Markdown to sanitized HTML with ticket keys (of `project`; or those of `known_keys`,
    the project's ticket keys when the caller holds them) linked and mentions emphasised."""
    return render_markdown(
        text,
        preprocess=lambda source: _mark_mentions(linkify_ticket_keys(source, project=project, known_keys=known_keys)),
    )

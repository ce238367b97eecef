"""A doc's Markdown to stored HTML: `[[Page]]` links, ticket keys, live macros (as
placeholders), then Markdown, sanitized by nh3 (aihub.markdown). Also collects what the
body links to, for the link tables."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from aihub.markdown import render_markdown_with_toc
from projects.models import Project
from projects.ticket_links import ticket_url

from . import macros as macro_registry
from .links import doc_url
from .models import Doc, DocSlugAlias

# Fence lines (``` or ~~~ at the start of a line) and inline code spans. Fences are paired
# in one pass over the fence lines: a regular expression asking for "the next closing
# fence" from each opener rescans the rest of the text per unclosed opener.
FENCE_LINE = re.compile(r"^(```|~~~)(.*)$", re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]+`")
# No `[` inside a target or label: a run of `[` then fails at once instead of backtracking.
WIKI_LINK = r"\[\[(?P<target>[^\[\]\n|]{1,200})(?:\|(?P<label>[^\[\]\n]{1,200}))?\]\]"
TICKET_KEY = r"(?<![\w/#.\-])(?P<ticket>[A-Z][A-Z0-9]{1,9}-[1-9]\d{0,8})\b"
TOKENS = re.compile(f"{macro_registry.MACRO.pattern}|{WIKI_LINK}|{TICKET_KEY}")
MD_SPECIAL = re.compile(r"([\\\[\]()*_`])")
# Links and live macros made per page; past these, keys, [[links]] and macros stay text
# (see aihub/markdown.py for the rest of what bounds the work).
MAX_TICKET_LINKS = 300
MAX_DOC_LINKS = 300
MAX_MACROS = 200


@dataclass
class Rendered:
    html: str
    toc_html: str
    macros: list[dict] = field(default_factory=list)
    # target text -> doc id or None ("create this page")
    doc_links: dict[str, int | None] = field(default_factory=dict)
    # keys of the project's own tickets named in the body (existing or not yet)
    ticket_keys: set[str] = field(default_factory=set)


def _md_text(text: str) -> str:
    return MD_SPECIAL.sub(r"\\\1", text)


def _inline_code_parts(text: str, parts: list[tuple[bool, str]]) -> None:
    last = 0
    for match in INLINE_CODE.finditer(text):
        parts.append((False, text[last : match.start()]))
        parts.append((True, match.group(0)))
        last = match.end()
    parts.append((False, text[last:]))


def _prose_parts(source: str) -> list[tuple[bool, str]]:
    """Split Markdown into (is_code, text) parts so links are never made inside code:
    fenced blocks (a fence closes on a line of the same fence alone) and code spans."""
    parts: list[tuple[bool, str]] = []
    last, opener = 0, None
    for match in FENCE_LINE.finditer(source):
        if opener is None:
            opener = match
        elif match.group(1) == opener.group(1) and not match.group(2).strip(" \t"):
            _inline_code_parts(source[last : opener.start()], parts)
            parts.append((True, source[opener.start() : match.end()]))
            last, opener = match.end(), None
    _inline_code_parts(source[last:], parts)
    return parts


def find_docs(project: Project, targets: set[str], *, exclude_id: int | None = None) -> dict[str, Doc]:
    """Live docs of the project named by title (any case), slug or an old slug."""
    if not targets:
        return {}
    lowered = {t.strip().lower() for t in targets}
    docs = (
        Doc.objects.filter(project=project, deleted_at__isnull=True)
        .annotate(title_lower=Lower("title"))
        .filter(Q(title_lower__in=lowered) | Q(slug__in=lowered))
        .only("id", "title", "slug", "project_id")
    )
    found: dict[str, Doc] = {}
    for doc in docs:
        found.setdefault(doc.slug, doc)
        found.setdefault(doc.title.lower(), doc)
    missing = lowered - set(found)
    if missing:
        for alias in DocSlugAlias.objects.filter(
            project=project, slug__in=missing, doc__deleted_at__isnull=True
        ).select_related("doc"):
            found.setdefault(alias.slug, alias.doc)
    return found


def new_doc_url(project_key: str, title: str) -> str:
    return f"{reverse('docs_hub:create', kwargs={'key': project_key})}?{urlencode({'title': title})}"


def render_doc(*, project: Project, body: str) -> Rendered:
    parts = _prose_parts(body or "")
    wiki_targets: set[str] = set()
    for is_code, text in parts:
        if is_code or len(wiki_targets) >= MAX_DOC_LINKS:
            continue
        for match in TOKENS.finditer(text):
            if match.group("target") and len(wiki_targets) < MAX_DOC_LINKS:
                wiki_targets.add(match.group("target").strip())
    docs = find_docs(project, wiki_targets)
    own_prefix = f"{project.key}-"
    result = Rendered(html="", toc_html="")
    ticket_urls: dict[str, str] = {}
    ticket_links_made: list[int] = []
    doc_urls: dict[str, str] = {}
    doc_links_made: list[int] = []

    def replace(match: re.Match) -> str:
        if match.group("kind"):
            if len(result.macros) >= MAX_MACROS:
                return match.group(0)
            macro = {
                "kind": match.group("kind"),
                "arg": match.group("arg"),
                "options": macro_registry.parse_options(match.group("options") or ""),
                "source": match.group(0),
            }
            if macro["kind"] == "ticket" and macro["arg"].upper().startswith(own_prefix):
                result.ticket_keys.add(macro["arg"].upper())
            result.macros.append(macro)
            return macro_registry.PLACEHOLDER.format(len(result.macros) - 1)
        if match.group("target"):
            target = match.group("target").strip()
            if target not in wiki_targets or len(doc_links_made) >= MAX_DOC_LINKS:  # past the cap: text
                return match.group(0)
            doc_links_made.append(1)
            label = _md_text((match.group("label") or target).strip())
            doc = docs.get(target.lower())
            result.doc_links[target] = doc.id if doc else None
            if target not in doc_urls:
                doc_urls[target] = doc_url(project.key, doc.slug) if doc else new_doc_url(project.key, target)
            if doc:
                return f"[{label}]({doc_urls[target]}){{: .wikilink }}"
            return f'[{label}]({doc_urls[target]}){{: .wikilink .missing title="Create this page" }}'
        key = match.group("ticket")
        if not key.startswith(own_prefix):  # the project's own tickets only: other projects' stay text
            return key
        if len(result.ticket_keys) < MAX_TICKET_LINKS:
            result.ticket_keys.add(key)
        if key not in result.ticket_keys or len(ticket_links_made) >= MAX_TICKET_LINKS:
            return key
        ticket_links_made.append(1)
        if key not in ticket_urls:
            ticket_urls[key] = ticket_url(key)
        return f"[{key}]({ticket_urls[key]}){{: .ticket-link }}"

    source = "".join(text if is_code else TOKENS.sub(replace, text) for is_code, text in parts)
    result.html, result.toc_html = render_markdown_with_toc(source, plain_text=body or "")
    return result

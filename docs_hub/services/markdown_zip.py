"""Reading a zip of Markdown (a Confluence export converted to Markdown, a Notion or an
Obsidian export) into a plan of pages: nothing is written here (importing.py writes).

The zip is read defensively: paths that climb out (`../`), absolute paths and symlinks
are refused, as are archives past the file count, the total or the per-file size (read
with a bound, whatever the headers claim). Folders become the tree: `a/b.md` is a child
of `a.md`, of `a/index.md` or `a/README.md`, else of a page made for the folder. Links
between the files become `[[Title]]` links, files they reference become attachments:
both are placeholders in a page's body until the import knows the docs and attachments."""

import contextlib
import mimetypes
import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import get_valid_filename

from aihub.limits import text_limit

from ..rendering import _prose_parts
from .attachments import ALLOWED_TYPES, _sniff

MARKDOWN_SUFFIXES = (".md", ".markdown")
FOLDER_PAGE_NAMES = ("index", "readme", "_index")
# Notion appends a 32-hex id to every page's file and folder name: "Roadmap 3f2a...9c.md".
NOTION_ID = re.compile(r"\s+[0-9a-f]{32}$", re.IGNORECASE)
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
ATX_H1 = re.compile(r"\A#[ \t]+(.+?)[ \t]*#*[ \t]*(?:\n|\Z)")
SETEXT_H1 = re.compile(r"\A([^\n]+)\n=+[ \t]*(?:\n|\Z)")
# [text](target "title") and ![alt](target): no nested brackets in the text.
MD_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\[\]\n]*)\]\((?P<url><[^<>\n]+>|[^()\s]+)(?P<title>\s+\"[^\"\n]*\")?\)")
# Obsidian: [[Page]], [[Page|alias]], [[Page#Heading]], ![[image.png]], ![[image.png|300]].
WIKI = re.compile(r"(?P<bang>!?)\[\[(?P<target>[^\[\]\n|]{1,300})(?:\|(?P<label>[^\[\]\n]{0,300}))?\]\]")
HTML_IMG = re.compile(r"(<img\b[^>]*?\bsrc=)(?P<q>[\"'])(?P<url>[^\"'>]+)(?P=q)", re.IGNORECASE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:", re.IGNORECASE)
# Private-use characters mark what the import fills in: a page link or an attachment URL.
PAGE_REF = "\ue000P{}|{}\ue001"
FILE_REF = "\ue000F{}\ue001"
REF = re.compile(r"\ue000(?P<kind>[PF])(?P<index>\d+)(?:\|(?P<label>[^\ue001]*))?\ue001")
TRUNCATED_NOTE = "\n\n> Cut at import: the page was longer than {limit:,} characters. The whole file: [{name}]({url})\n"


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@dataclass
class PlannedPage:
    path: str  # the page's key in the zip: "a/b.md", or "a/" for a folder without a file
    title: str
    parent: str | None  # the parent page's path, None at the top
    body: str = ""  # with PAGE_REF / FILE_REF placeholders
    source: str | None = None  # the Markdown file, None for a folder's own page
    children: list[str] = field(default_factory=list)


@dataclass
class Plan:
    pages: dict[str, PlannedPage]  # in tree order: a parent before its children
    roots: list[str]
    page_refs: list[str] = field(default_factory=list)  # PAGE_REF index -> page path
    files: dict[str, bytes] = field(default_factory=dict)  # attachment path -> content
    file_refs: list[str] = field(default_factory=list)  # FILE_REF index -> file path
    file_types: dict[str, str] = field(default_factory=dict)  # attachment path -> content type
    warnings: list[str] = field(default_factory=list)
    missing_links: list[dict] = field(default_factory=list)  # {"page", "link"}
    links_rewritten: int = 0

    def attachments_of(self, page: PlannedPage) -> list[str]:
        """The attachment paths a page's body refers to, once each, in order."""
        seen: dict[str, None] = {}
        for match in REF.finditer(page.body):
            if match.group("kind") == "F":
                seen.setdefault(self.file_refs[int(match.group("index"))], None)
        return list(seen)

    @property
    def attachment_count(self) -> int:
        return sum(len(self.attachments_of(page)) for page in self.pages.values())


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: macOS and Notion still write UTF-8
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return name.replace("\\", "/")


def _ignored(parts: list[str]) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" or part.lower() == "thumbs.db" for part in parts)


def read_zip(uploaded) -> tuple[dict[str, str], dict[str, bytes]]:
    """The Markdown files (decoded) and the other files of an uploaded zip, by path.
    Raises ValidationError({"file": [reason]}) for anything unsafe or too big."""
    max_files = _limit("DOCS_IMPORT_MAX_FILES", 2000)
    max_total = _limit("DOCS_IMPORT_MAX_TOTAL_BYTES", 200 * 1024 * 1024)
    max_file = _limit("DOCS_IMPORT_MAX_FILE_BYTES", settings.DOCS_ATTACHMENT_MAX_BYTES)
    try:
        uploaded.seek(0)
        archive = zipfile.ZipFile(uploaded)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise _refuse("This is not a zip archive (or it is damaged).") from None
    entries = []
    for info in infos:
        name = _entry_name(info)
        parts = [part for part in name.split("/") if part not in ("", ".")]
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise _refuse(f"Unsafe path in the zip: “{name[:200]}” (absolute or climbing out with ..).")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(f"The zip holds a symbolic link (“{name[:200]}”): links are not accepted.")
        if info.is_dir() or not parts or _ignored(parts):
            continue
        if info.flag_bits & 0x1:
            raise _refuse(f"“{name[:200]}” is encrypted: export the zip without a password.")
        entries.append((info, "/".join(parts)))
    if len(entries) > max_files:
        raise _refuse(f"The zip holds {len(entries):,} files; at most {max_files:,} are accepted.")
    declared = sum(info.file_size for info, _ in entries)
    if declared > max_total:
        raise _refuse(f"The zip unpacks to {declared:,} bytes; at most {max_total:,} are accepted.")
    markdown: dict[str, str] = {}
    others: dict[str, bytes] = {}
    total = 0
    for info, path in entries:
        if info.file_size > max_file:
            raise _refuse(f"“{path[:200]}” unpacks to {info.file_size:,} bytes; at most {max_file:,} a file.")
        try:
            with archive.open(info) as handle:
                data = handle.read(max_file + 1)  # the header may lie: read with a bound
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            raise _refuse(f"“{path[:200]}” cannot be read from the zip (damaged or an unknown compression).") from None
        total += len(data)
        if len(data) > max_file or total > max_total:
            raise _refuse(f"“{path[:200]}” unpacks to more than its header says: the zip is refused.")
        if path in markdown or path in others:
            raise _refuse(f"The zip holds “{path[:200]}” twice.")
        if path.lower().endswith(MARKDOWN_SUFFIXES):
            markdown[path] = _decode(data)
        else:
            others[path] = data
    if not markdown:
        raise _refuse("The zip holds no Markdown files (.md or .markdown).")
    return markdown, others


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").replace("\r\n", "\n")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # older Windows exports
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _stem(name: str) -> str:
    base = name.rstrip("/").rsplit("/", 1)[-1]
    for suffix in MARKDOWN_SUFFIXES:
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


def clean_title(text: str) -> str:
    """A title the docs accept: no Notion id, no [[, ]], | or brackets, at most 200 characters."""
    text = NOTION_ID.sub("", (text or "").strip())
    text = re.sub(r"[\[\]|]", "", text).replace("\ue000", "").replace("\ue001", "")
    return " ".join(text.split())[:200].strip() or "Untitled"


def _split_front_matter(text: str) -> tuple[dict, str]:
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[match.end() :]


def _title_and_body(path: str, text: str) -> tuple[str, str]:
    """The title from front matter `title:`, else a first `# H1` (taken out of the body),
    else the file name."""
    meta, body = _split_front_matter(text)
    body = body.lstrip("\n")
    title = meta.get("title")
    if isinstance(title, (str, int, float)) and str(title).strip():
        title = clean_title(str(title))
        match = ATX_H1.match(body)
        if match and clean_title(match.group(1)) == title:  # the same heading again: once is enough
            body = body[match.end() :].lstrip("\n")
        return title, body
    for pattern in (ATX_H1, SETEXT_H1):
        match = pattern.match(body)
        if match and match.group(1).strip():
            return clean_title(match.group(1)), body[match.end() :].lstrip("\n")
    return clean_title(_stem(path)), body


def _folder_page_file(folder: str, markdown: dict[str, str], lowered: dict[str, str]) -> str | None:
    """The Markdown file that is `folder`'s own page: `folder.md` beside it, or
    `folder/index.md` / `folder/README.md` inside."""
    for suffix in MARKDOWN_SUFFIXES:
        found = lowered.get((folder + suffix).lower())
        if found:
            return found
    for name in FOLDER_PAGE_NAMES:
        for suffix in MARKDOWN_SUFFIXES:
            found = lowered.get(f"{folder}/{name}{suffix}".lower())
            if found:
                return found
    return None


def _sort_key(page: PlannedPage) -> tuple:
    return (page.title.casefold(), page.path)


def build_plan(markdown: dict[str, str], others: dict[str, bytes]) -> Plan:
    lowered = {path.lower(): path for path in markdown}
    # Every folder holding Markdown somewhere below it is a page.
    folders: set[str] = set()
    for path in markdown:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folders.add("/".join(parts[:depth]))
    # A folder's page: its own file, or a page made for it ("a/").
    folder_page: dict[str, str] = {}
    for folder in sorted(folders):
        own = _folder_page_file(folder, markdown, lowered)
        folder_page[folder] = own if own and own not in folder_page.values() else f"{folder}/"
    file_folder = {path: folder for folder, path in folder_page.items() if not path.endswith("/")}

    def parent_of(path: str) -> str | None:
        # A folder's own file sits where its folder does; any other file under its folder.
        folder = file_folder.get(path)
        container = posixpath.dirname(folder if folder is not None else path.rstrip("/"))
        return folder_page.get(container) if container else None

    pages: dict[str, PlannedPage] = {}
    for path, text in markdown.items():
        title, body = _title_and_body(path, text)
        pages[path] = PlannedPage(path=path, title=title, parent=None, body=body, source=path)
    for folder, page_path in folder_page.items():
        if page_path.endswith("/"):
            pages[page_path] = PlannedPage(path=page_path, title=clean_title(_stem(folder)), parent=None)
        elif _stem(page_path).lower() in FOLDER_PAGE_NAMES and pages[page_path].title.lower() in FOLDER_PAGE_NAMES:
            pages[page_path].title = clean_title(_stem(folder))  # an untitled index.md: the folder's name
    for page in pages.values():
        page.parent = parent_of(page.path)
    ordered: list[str] = []
    roots = sorted((p for p in pages.values() if p.parent is None), key=_sort_key)
    by_parent: dict[str, list[PlannedPage]] = {}
    for page in pages.values():
        if page.parent is not None:
            by_parent.setdefault(page.parent, []).append(page)

    def place(page: PlannedPage) -> None:
        ordered.append(page.path)
        for child in sorted(by_parent.get(page.path, []), key=_sort_key):
            page.children.append(child.path)
            place(child)

    for root in roots:
        place(root)
    plan = Plan(pages={path: pages[path] for path in ordered}, roots=[root.path for root in roots])
    _Rewriter(plan, markdown, others, folder_page).run()
    return plan


class _Rewriter:
    """Turns the links of every page into placeholders: other pages, attachments."""

    def __init__(self, plan: Plan, markdown: dict[str, str], others: dict[str, bytes], folder_page: dict[str, str]):
        self.plan, self.markdown, self.others, self.folder_page = plan, markdown, others, folder_page
        self.lowered_pages = {path.lower(): path for path in markdown}
        self.lowered_files = {path.lower(): path for path in others}
        # Obsidian resolves [[Name]] by file name anywhere in the vault.
        self.by_name: dict[str, str] = {}
        for path in sorted(markdown, key=lambda p: (p.count("/"), p)):
            stem = _stem(path).lower()
            self.by_name.setdefault(stem, path)
            self.by_name.setdefault(NOTION_ID.sub("", stem), path)
        for page in plan.pages.values():
            self.by_name.setdefault(page.title.lower(), page.path)
        self.files_by_name: dict[str, str] = {}
        for path in sorted(others, key=lambda p: (p.count("/"), p)):
            self.files_by_name.setdefault(posixpath.basename(path).lower(), path)
        self.page_index: dict[str, int] = {}
        self.file_index: dict[str, int] = {}
        self.refused_files: set[str] = set()

    def run(self) -> None:
        limit = text_limit("docs_hub.Doc", "body")
        for page in self.plan.pages.values():
            if page.source is None:
                continue
            self.page = page
            parts = _prose_parts(page.body)
            page.body = "".join(text if is_code else self._rewrite(text) for is_code, text in parts)
            growth = self._growth(page.body)
            if len(page.body) + growth > limit - 400:
                self._truncate(page, max(limit - 400 - growth, limit // 4))

    def _growth(self, body: str) -> int:
        """How much longer the text gets once its placeholders become links and URLs (at
        most: a link may name a page by its slug, a URL quotes a non-ASCII file name)."""
        growth = 0
        for match in REF.finditer(body):
            index = int(match.group("index"))
            if match.group("kind") == "P":
                growth += len(self.plan.pages[self.plan.page_refs[index]].title) + 12
            else:
                growth += 60 + 9 * len(posixpath.basename(self.plan.file_refs[index]))
        return growth

    def _truncate(self, page: PlannedPage, keep: int) -> None:
        cut = page.body.rfind("\n", 0, keep)
        cut = cut if cut > keep // 2 else keep
        head = page.body[:cut]
        head = head[: head.rfind("\ue000")] if head.count("\ue000") > head.count("\ue001") else head
        name = posixpath.basename(page.source)
        self.others[page.source] = self.markdown[page.source].encode("utf-8")
        self.plan.file_types[page.source] = "text/markdown"
        page.body = head + TRUNCATED_NOTE.format(limit=keep + 400, name=name, url=self._file_ref(page.source))
        self.plan.warnings.append(
            f"“{page.path}” is longer than a page may be: it was cut, and the whole file is attached to the page."
        )

    def _page_ref(self, path: str, label: str) -> str:
        self.plan.links_rewritten += 1
        if path not in self.page_index:
            self.page_index[path] = len(self.plan.page_refs)
            self.plan.page_refs.append(path)
        return PAGE_REF.format(self.page_index[path], clean_label(label))

    def _file_ref(self, path: str) -> str:
        if path not in self.file_index:
            self.file_index[path] = len(self.plan.file_refs)
            self.plan.file_refs.append(path)
            self.plan.files[path] = self.others[path]
        return FILE_REF.format(self.file_index[path])

    def _missing(self, link: str) -> None:
        self.plan.missing_links.append({"page": self.page.path, "link": link[:300]})

    def _resolve_relative(self, url: str) -> tuple[str, str | None]:
        """(kind, path) of a relative URL in the current page: "page", "file" or "missing"."""
        target = unquote(url.strip("<>").split("#", 1)[0].split("?", 1)[0])
        if not target:
            return "missing", None
        base = posixpath.dirname(self.page.path)
        joined = posixpath.normpath(posixpath.join(base, target))
        if joined.startswith("../") or joined == "..":
            return "missing", None
        lower = joined.lower()
        if lower in self.lowered_pages:
            return "page", self.lowered_pages[lower]
        folder = self.folder_page.get(joined.rstrip("/"))
        if folder is not None:
            return "page", folder
        if lower in self.lowered_files:
            return self._attachable(self.lowered_files[lower])
        return "missing", None

    def _attachable(self, path: str) -> tuple[str, str | None]:
        if path in self.refused_files:
            return "refused", path
        content_type = attachment_type(path, self.others[path])
        if content_type is None:
            self.refused_files.add(path)
            self.plan.warnings.append(
                f"“{path}” is not a type of file pages accept (images, PDF, ZIP, text, CSV, Markdown, JSON): "
                "its links are left as they are."
            )
            return "refused", path
        self.plan.file_types[path] = content_type
        return "file", path

    def _rewrite(self, text: str) -> str:
        text = WIKI.sub(self._wiki, text)
        text = MD_LINK.sub(self._md_link, text)
        return HTML_IMG.sub(self._html_img, text)

    def _md_link(self, match: re.Match) -> str:
        url = match.group("url")
        bare = url.strip("<>")
        if SCHEME.match(bare) or bare.startswith(("#", "/", "\ue000")):
            return match.group(0)
        kind, path = self._resolve_relative(url)
        if kind == "page":
            text = match.group("text").strip() or self.plan.pages[path].title
            return self._page_ref(path, text)
        if kind == "file":
            self.plan.links_rewritten += 1
            return f"{match.group('bang')}[{match.group('text')}]({self._file_ref(path)}{match.group('title') or ''})"
        if kind == "missing":
            self._missing(match.group(0))
        return match.group(0)

    def _html_img(self, match: re.Match) -> str:
        url = match.group("url")
        if SCHEME.match(url) or url.startswith(("/", "#")):
            return match.group(0)
        kind, path = self._resolve_relative(url)
        if kind == "file":
            self.plan.links_rewritten += 1
            return f"{match.group(1)}{match.group('q')}{self._file_ref(path)}{match.group('q')}"
        if kind == "missing":
            self._missing(match.group(0))
        return match.group(0)

    def _wiki(self, match: re.Match) -> str:
        target = match.group("target").strip()
        name = target.split("#", 1)[0].strip()
        label = (match.group("label") or "").strip()
        lower = name.lower()
        # A file: ![[diagram.png]] or [[report.pdf]] (an embed's "|300" is a size, not a label).
        file_path = self.lowered_files.get(lower) or self.files_by_name.get(posixpath.basename(lower))
        if file_path and name:
            kind, path = self._attachable(file_path)
            if kind != "file":
                return match.group(0)
            self.plan.links_rewritten += 1
            shown = label if label and not label.isdigit() else posixpath.basename(file_path)
            return f"{'!' if match.group('bang') else ''}[{clean_label(shown)}]({self._file_ref(path)})"
        page_path = None
        if name:
            for candidate in (lower, lower + ".md", lower + ".markdown"):
                page_path = page_path or self.lowered_pages.get(candidate)
            page_path = page_path or self.by_name.get(posixpath.basename(lower))
        else:  # [[#Heading]]: this page
            page_path = self.page.path
        if page_path is None:
            self._missing(match.group(0))
            return match.group(0)
        return self._page_ref(page_path, label or name or self.plan.pages[page_path].title)


def clean_label(text: str) -> str:
    return " ".join(re.sub(r"[\[\]|\ue000\ue001]", "", text).split())[:200]


def attachment_type(path: str, data: bytes) -> str | None:
    """The content type a page would accept this file as, or None (attachments.py's rules)."""
    guessed = mimetypes.guess_type(get_valid_filename(posixpath.basename(path)) or "file")[0] or ""
    if guessed not in ALLOWED_TYPES or not _sniff(guessed, data[:2048]):
        return None
    return guessed


def plan_zip(uploaded) -> Plan:
    """Read and plan an uploaded zip: ValidationError({"file": [...]}) if it is refused."""
    markdown, others = read_zip(uploaded)
    return build_plan(markdown, others)

"""Reads of a doc's revisions: the history, one revision as it was saved, a diff of two."""

import difflib
from dataclasses import dataclass

from django.db.models import QuerySet

from .. import macros
from ..models import Doc, DocRevision


def doc_revisions(*, doc: Doc) -> QuerySet[DocRevision]:
    return doc.revisions.select_related("author").order_by("-version")


def revision_get(*, doc: Doc, version: int) -> DocRevision | None:
    return doc.revisions.select_related("author").filter(version=version).first()


def revision_html(*, revision: DocRevision) -> str:
    """A revision as the team saw it when it was saved (frozen macro values)."""
    return macros.fill(revision.body_html, revision.macros, revision.macro_values)


@dataclass
class DiffLine:
    kind: str  # "same", "add", "del", "skip"
    old_no: int | None
    new_no: int | None
    text: str


def revision_diff(*, old: DocRevision, new: DocRevision, context: int = 3) -> list[DiffLine]:
    """A line diff of two revisions' Markdown (title change shown as the first line)."""
    old_lines = [f"# {old.title}", *old.body.splitlines()]
    new_lines = [f"# {new.title}", *new.body.splitlines()]
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    lines: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("skip", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i1 + k + 1, j1 + k + 1, old_lines[i1 + k]) for k in range(i2 - i1)]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("del", i1 + k + 1, None, old_lines[i1 + k]) for k in range(i2 - i1)]
            if tag in ("replace", "insert"):
                lines += [DiffLine("add", None, j1 + k + 1, new_lines[j1 + k]) for k in range(j2 - j1)]
    return lines

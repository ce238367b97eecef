"""Markdown rendering time for the worst texts each field accepts (issue 8, finding 4).

For every Markdown field (aihub/limits.py: comment, ticket description and acceptance
criteria, project description and objectives, doc body; a doc template becomes a doc body)
it builds texts at the field's cap in the shapes that made Python-Markdown slow (runs of
`[`, unclosed links and fences, raw HTML, nesting, tables, emphasis, thousands of ticket
keys, [[links]] and macros, a mix) beside ordinary text, renders each the way the app does
when it is saved (ticket keys linked against a real project, docs with their links and
macros), and prints CPU and wall milliseconds and whether the text was shown as written.
Target: every accepted text renders in under 200 ms.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/aihub
    .venv/bin/python bench/markdown_render.py [--rounds 3] [--only NAME]

It makes a project and three tickets in a transaction it rolls back at the end.
"""

import argparse
import importlib.util
import statistics
import sys
from pathlib import Path

# This file is named like the `markdown` package: take its folder off the import path (so
# `import markdown` finds the package) and load the shared harness by its path.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
_spec = importlib.util.spec_from_file_location("harness", BENCH_DIR / "harness.py")
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
CPU_MS, setup_django, timed = harness.CPU_MS, harness.setup_django, harness.timed

TARGET_MS = 200

ORDINARY_PARAGRAPH = (
    "Some **bold** text with a [link](https://example.com/x) and `code`, an _emphasis_, "
    "CV-1 and @alice. More words make a realistic paragraph of prose for a page.\n\n"
)
ORDINARY_BLOCK = (
    "## Heading {n}\n\n"
    + ORDINARY_PARAGRAPH * 3
    + "- item one\n- item two\n  - nested\n\n```python\nx = 1\nprint(x)\n```\n\n"
    + "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\n> a quote\n> more\n\n1. one\n2. two\n\n"
)


def fill(unit: str, size: int) -> str:
    """`unit` repeated (with {n} numbered) up to exactly `size` characters."""
    if "{n}" not in unit:
        return (unit * (size // len(unit) + 1))[:size]
    parts, length, n = [], 0, 0
    while length < size:
        part = unit.replace("{n}", str(n))
        parts.append(part)
        length += len(part)
        n += 1
    return "".join(parts)[:size]


SHAPES = {
    "ordinary page": lambda n: fill(ORDINARY_BLOCK, n),
    "ordinary prose": lambda n: fill(ORDINARY_PARAGRAPH, n),
    "[ run": lambda n: "[" * n,
    "[]( unclosed links": lambda n: fill("[](", n),
    "![]( unclosed images": lambda n: fill("![](", n),
    "[^ footnote openers": lambda n: fill("[^", n),
    "[a][ references": lambda n: fill("[a][", n),
    "links in one paragraph": lambda n: fill("[a](https://example.com) ", n),
    "nested link text": lambda n: "[" * (n // 8) + "a" + "](b)" * (n // 8),
    "< run": lambda n: "<" * n,
    "<a unclosed tags": lambda n: fill("<a ", n),
    "& run": lambda n: "&" * n,
    "<http:// autolinks": lambda n: fill("<http://", n),
    "<div> nesting": lambda n: fill("<div>", n),
    "*a emphasis": lambda n: fill("*a", n),
    "_a emphasis": lambda n: fill("_a", n),
    "**a strong": lambda n: fill("**a", n),
    "emphasis nesting": lambda n: "*a " * (n // 6) + "b" + " a*" * (n // 6),
    "`a code spans": lambda n: fill("`a", n),
    "```a unclosed fences": lambda n: fill("```a\n", n),
    "fenced blocks": lambda n: fill("```python\nx = 1\n```\n\n", n),
    "table": lambda n: "| a | b | c |\n|---|---|---|\n" + fill("| 1 | 2 | 3 |\n", n - 28),
    "empty table cells": lambda n: fill("|" * 50 + "\n", n),
    "headings": lambda n: fill("# same\n\n", n),
    "flat list": lambda n: fill("- a\n", n),
    "list nested inline": lambda n: "- " * (n // 2),
    "ordered list nested inline": lambda n: "1. " * (n // 3),
    "list nested by indent": lambda n: "".join(" " * (2 * d) + "- a\n" for d in range(int((n // 1) ** 0.5)))[:n],
    "> quote nesting": lambda n: ">" * n,
    "definition list": lambda n: fill("a\n: b\n", n),
    "abbreviations": lambda n: fill("*[A{n}]: x\n", n),
    "line breaks": lambda n: fill("a  \n", n),
    "backslashes": lambda n: "\\" * n,
    "ticket keys": lambda n: fill("CV-1 CV-2 CV-3 ", n),
    "mentions": lambda n: fill("@alice ", n),
    "[[wiki links]]": lambda n: fill("[[Page {n}]] ", n),
    "{{macros}}": lambda n: fill("{{ticket:CV-1}} ", n),
}


BASIC_SHAPES = list(SHAPES.values())


def mixed(n: int) -> str:
    """A slice of every shape, up to the cap."""
    piece = max(1, n // len(BASIC_SHAPES))
    return "\n\n".join(make(piece) for make in BASIC_SHAPES)[:n]


SHAPES["mix of all"] = mixed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="run the shapes whose name contains this")
    args = parser.parse_args()
    setup_django()

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from aihub.limits import text_limit
    from aihub.markdown import PLAIN_NOTE, render_markdown
    from docs_hub.rendering import render_doc
    from projects import services
    from projects.ticket_links import render_ticket_markdown

    class Rollback(Exception):
        pass

    fields = [
        ("comment", ("projects.Comment", "body"), "ticket"),
        ("ticket description", ("projects.Ticket", "description"), "ticket"),
        ("acceptance criteria", ("projects.Ticket", "acceptance_criteria"), "ticket"),
        ("project description", ("projects.Project", "description"), "plain"),
        ("project objectives", ("projects.Project", "objectives"), "plain"),
        ("doc body / template", ("docs_hub.Doc", "body"), "doc"),
    ]
    rows, worst = [], (0.0, "")
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username="bench-markdown", password="x")
            project = services.project_create(creator=user, key="CV", name="Bench")
            for title in ("One", "Two", "Three"):
                services.ticket_create(project=project, reporter=user, title=title)
            renderers = {
                "ticket": lambda text: render_ticket_markdown(text, project=project),
                "plain": render_markdown,
                "doc": lambda text: render_doc(project=project, body=text).html,
            }
            for label, (model, field), kind in fields:
                cap = text_limit(model, field)
                print(f"\n{label} (cap {cap:,} characters)")
                for name, make in SHAPES.items():
                    if args.only and args.only not in name:
                        continue
                    text = make(cap)
                    assert len(text) <= cap, (name, len(text))
                    render = renderers[kind]
                    shown_as_written = PLAIN_NOTE in render(text)
                    wall = timed(lambda: render(text), rounds=args.rounds, warmup=0)  # noqa: B023
                    cpu = CPU_MS[id(wall)]
                    flag = "  OVER" if max(cpu) > TARGET_MS else ""
                    print(
                        f"  {name:28s} cpu median {statistics.median(cpu):6.1f} max {max(cpu):6.1f} ms"
                        f"   wall max {max(wall):6.1f} ms   {'as written' if shown_as_written else 'formatted':10s}"
                        f"{flag}",
                        flush=True,
                    )
                    rows.append(max(cpu))
                    if max(cpu) > worst[0]:
                        worst = (max(cpu), f"{label}: {name}")
            raise Rollback
    except Rollback:
        pass
    over = sum(1 for ms in rows if ms > TARGET_MS)
    print(f"\n{len(rows)} texts; worst {worst[0]:.1f} ms CPU ({worst[1]}); {over} over {TARGET_MS} ms")


if __name__ == "__main__":
    main()

"""The house rules of docs/architecture.md that import-linter cannot see: a request's write is
one service call that owns its transaction, so no view or API view opens one itself."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIEW_MODULES = sorted(
    path
    for app in ("accounts", "projects", "experiments", "docs_hub")
    for pattern in ("views.py", "views/*.py", "api/*.py", "api/views/*.py")
    for path in (ROOT / app).glob(pattern)
    if path.name not in ("__init__.py", "urls.py") and "serializers" not in path.parts
)


def transaction_uses(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.db":
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names if a.name == "transaction"]
        elif isinstance(node, ast.ImportFrom) and node.module == "django.db.transaction":
            found.append(f"line {node.lineno}: imports from django.db.transaction")
        elif isinstance(node, ast.Attribute) and node.attr in ("atomic", "on_commit"):
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


def test_the_view_modules_are_found():
    names = {str(path.relative_to(ROOT)) for path in VIEW_MODULES}
    assert {"projects/views/board.py", "projects/api/views/board.py", "experiments/api/views.py"} <= names


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_view_opens_a_transaction(path):
    assert transaction_uses(ast.parse(path.read_text(), str(path))) == []


def test_the_check_sees_a_view_that_opens_one():
    source = "from django.db import transaction\n\ndef view(request):\n    with transaction.atomic():\n        pass\n"
    assert transaction_uses(ast.parse(source)) == ["line 1: imports transaction", "line 4: .atomic"]

"""Docstrings keep their promises: every public function or method that raises a
user-facing error says so in a Raises section (the API reference, ``make docs``, checks
the rest: every parameter documented, a Returns section where something is returned)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "thermodefect"
USER_ERRORS = {"ThermodefectError", "fail", "unknown_name"}


def _raises_user_error(func: ast.AST) -> bool:
    """Whether ``func``'s own body (not nested functions) raises a user-facing error."""
    todo = list(ast.iter_child_nodes(func))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            called = node.exc.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
            if name in USER_ERRORS:
                return True
        todo.extend(ast.iter_child_nodes(node))
    return False


def _public_functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cli" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                yield path, node.name, node
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        yield path, f"{node.name}.{item.name}", item


RAISING = [(p, n, f) for p, n, f in _public_functions() if _raises_user_error(f)]


def test_the_scan_finds_the_raising_functions():
    names = {n for _, n, _ in RAISING}
    assert {"load", "sniff", "extract_cooling", "fit_pod", "read_spec"} <= names


@pytest.mark.parametrize(
    "path, name, func", RAISING, ids=[f"{p.parent.name}/{p.stem}:{n}" for p, n, _ in RAISING]
)
def test_functions_that_raise_user_errors_document_them(path, name, func):
    doc = ast.get_docstring(func) or ""
    assert "\nRaises\n------\n" in doc and "ThermodefectError" in doc.split("Raises")[-1], (
        f"{path.relative_to(PACKAGE.parent)}: {name} raises ThermodefectError but its "
        "docstring has no Raises section naming it"
    )

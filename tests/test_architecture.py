"""The shape of the package: imports point down the layer list, no private module is used
outside its subpackage, no import cycle at module level, and the cheap imports stay cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "thermodefect"

#: Units from the bottom up; a unit may import itself and the units before it, never after.
LAYERS = (
    ("thermodefect", "errors", "sequence", "registry", "lazy", "runtime"),
    ("io",),
    ("batch",),
    ("preprocess",),
    ("methods",),
    ("evaluate",),
    ("simulate",),
    ("labels",),
    ("nn",),
    ("detect",),
    ("benchmark",),
    ("report",),
    ("cli",),
    ("napari",),
    ("data",),
)
LEVEL = {unit: i for i, units in enumerate(LAYERS) for unit in units}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "thermodefect"


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported thermodefect module, line, at module level) for every import in ``path``."""
    tree = ast.parse(path.read_text())
    module = _module_name(path)
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".")
                package = package[: len(package) - node.level + (path.name == "__init__.py")]
                base = ".".join([*package, base] if base else package)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.split(".")[0] == "thermodefect":
                found.append((name, node.lineno, id(node) in top))
    return found


def _existing(name: str) -> str:
    """The longest prefix of ``name`` that is a module or package of ours."""
    parts = name.split(".")
    while parts:
        candidate = PACKAGE.parent.joinpath(*parts)
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return name


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_unit_has_a_layer():
    units = {_unit(_module_name(p)) for p in MODULES}
    assert units <= set(LEVEL), f"add {sorted(units - set(LEVEL))} to LAYERS"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_point_down_and_stay_public(path):
    here = _module_name(path)
    for name, line, _ in _imports(path):
        target = _existing(name)
        there = _unit(target)
        where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        assert LEVEL[there] <= LEVEL[_unit(here)], f"{where}, a unit above {_unit(here)}"
        private = [p for p in target.split(".")[1:] if p.startswith("_") and p != "__main__"]
        if private and there != _unit(here):
            raise AssertionError(f"{where}: a private module of another subpackage")


def test_no_cycle_among_module_level_imports():
    graph = {_module_name(p): {_existing(n) for n, _, top in _imports(p) if top} for p in MODULES}
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            cycle = [*trail[trail.index(node) :], node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if state.get(node) == 2 or node not in graph:
            return
        state[node] = 1
        for nxt in sorted(graph[node] - {node}):
            visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])


@pytest.mark.parametrize(
    "statement",
    [
        "import thermodefect",
        "import thermodefect.cli; thermodefect.cli.build_parser()",
        "import thermodefect.nn.registry, thermodefect.detect, thermodefect.nn",
    ],
)
def test_cheap_imports_load_neither_torch_nor_matplotlib(statement):
    code = f"{statement}; import sys; print(sorted({{'torch', 'matplotlib'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{statement!r} loaded {out.stdout.strip()}"

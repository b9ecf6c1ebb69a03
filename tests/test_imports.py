"""The import graph, read from the source: no cycles, and the layers import in one direction.

Every module of ``simulation``, ``agents`` and ``scenarios`` is imported (so
none is broken), then each file's ``import`` statements — function-local ones
too, which is where a cycle usually hides — are read with :mod:`ast` into a
graph of our own modules. The layers, from the bottom: ``scenarios`` and
``agents`` (no ``simulation``), then ``simulation.core`` and
``simulation.accounting`` (no ``simulation.app``, no ``simulation.present``),
then ``simulation.present`` and ``simulation.app``; ``simulation.app.cli`` is
the top: nothing imports it but ``simulation.__main__``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("simulation", "agents", "scenarios")

#: (importer, imported) edges that break a rule in code other branches own; each names why it is
#: allowed here for now. The lead removes an entry when merging the branch that fixes it.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()

#: importer prefix -> module prefixes it must not import
FORBIDDEN = {
    "simulation.core": ("simulation.app", "simulation.present"),
    "simulation.accounting": ("simulation.app", "simulation.present"),
    "agents": ("simulation",),
    "scenarios": ("simulation",),
}
ENTRY_POINTS = {"simulation.__main__"}     # the only modules that may import the CLI


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_modules(name: str, path: Path) -> set[str]:
    """Our modules that ``name`` imports anywhere in its file (``if TYPE_CHECKING:`` blocks aside)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import sub` imports the module pkg.sub when there is one
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module
                       for a in node.names]
        else:
            targets = []
        for target in targets:
            while target and target not in MODULES:     # `import a.b.c` of ours: the deepest we have
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if (v, w) in KNOWN_EXCEPTIONS:
                continue
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return out


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_the_graph_is_read_from_the_source():
    # a few edges known to exist: the reader resolves absolute, `from pkg import module` and local imports
    assert "simulation.app.task" in GRAPH["simulation.app.cli"]
    assert "simulation.app.grid" in GRAPH["simulation.app.sweep"]
    assert "scenarios.schema" in GRAPH["simulation.app.config"]
    assert "simulation.app.cli" in GRAPH["simulation.__main__"]


def test_no_import_cycles():
    found = cycles(GRAPH)
    assert not found, "import cycles:\n" + "\n".join(
        " <-> ".join(c) + ": " + "; ".join(f"{a} -> {b}" for a in c for b in sorted(GRAPH[a]) if b in c)
        for c in found)


def test_layers_import_downwards_only():
    bad = [(a, b) for a, targets in GRAPH.items() for b in sorted(targets)
           for low, banned in FORBIDDEN.items() if within(a, low)
           for high in banned if within(b, high) and (a, b) not in KNOWN_EXCEPTIONS]
    assert not bad, "imports against the layers:\n" + "\n".join(f"{a} -> {b}" for a, b in bad)


def test_nothing_imports_the_cli_but_the_entry_points():
    importers = sorted(a for a, targets in GRAPH.items() if "simulation.app.cli" in targets
                       and a not in ENTRY_POINTS)
    assert not importers, f"imported into the CLI's module: {importers}"


def test_known_exceptions_are_still_needed():
    """An exception whose edge is gone must be removed from the list."""
    stale = sorted(e for e in KNOWN_EXCEPTIONS if e[1] not in GRAPH.get(e[0], set()))
    assert not stale, f"no longer imported, remove from KNOWN_EXCEPTIONS: {stale}"

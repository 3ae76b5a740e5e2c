"""The layout is the architecture: generic packages import no concrete task, and no package
imports another that imports it back (imports inside functions count; type-hint-only imports
under ``TYPE_CHECKING`` do not)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import logicdistill

ROOT = Path(logicdistill.__file__).parent
CONCRETE = "games"  # the shipped tasks: plug-ins on top of everything else


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    return {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }


def _imported_packages(path: Path) -> set[str]:
    """The logicdistill packages (or top-level modules) ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return {name.split(".")[1] for name in names if name.startswith("logicdistill.")}


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        package = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        graph[package] |= _imported_packages(path) - {package}
    return graph


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_no_package_imports_one_that_imports_it_back():
    graph = package_graph()
    cycles = sorted(f"{a} -> {b}" for a in graph for b in graph[a] if a in _reaches(graph, b))
    assert cycles == []


def test_generic_packages_import_no_concrete_task():
    graph = package_graph()
    assert sorted(p for p, deps in graph.items() if CONCRETE in deps and p != CONCRETE) == []

"""The library's rooms: a package per stage, few loose modules, no import circle.

import-linter (``make lint``) holds the layers between packages; these tests hold what it
does not: how many modules stay loose, that each package says what it holds and may
import, and that no two modules import each other, even through a chain (an import inside
a function counts too: a circle there is still a circle in the design).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "poolab"
MAX_LOOSE = 10


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _library_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}


def _imports(path: Path, known: set[str]) -> set[str]:
    """The library modules ``path`` imports (``from poolab.x import y`` counts ``poolab.x.y``
    when that is a module, else ``poolab.x``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            full = [f"{node.module}.{a.name}" for a in node.names]
            names = [n if n in known else node.module for n in full]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_few_loose_modules() -> None:
    """At most ten modules stay loose in poolab/ (the shared vocabulary); the rest live in stage packages."""
    loose = sorted(p.name for p in ROOT.glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_LOOSE, loose


def test_every_package_says_what_it_holds_and_may_import() -> None:
    """Each package's __init__.py opens with a docstring naming what it holds and what it may import."""
    silent = []
    for init in sorted(ROOT.rglob("__init__.py")):
        if "migrations" in init.parts or init.parent == ROOT:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if "import" not in doc.lower():
            silent.append(str(init.relative_to(ROOT.parent)))
    assert [] == silent


def test_no_import_circle() -> None:
    """No library module reaches itself through its imports (top-level or inside functions)."""
    modules = _library_modules()
    known = set(modules)
    graph = {name: _imports(path, known) - {name} for name, path in modules.items()}
    # a package's __init__ importing nothing, its submodules importing it implicitly: not edges
    assert [] == _cycles(graph)


def test_the_circle_finder_finds_circles() -> None:
    """The check above can fail: a two-module and a three-module circle are found, a chain is not."""
    assert [["a", "b"]] == _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    assert [["x", "y", "z"]] == _cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}})
    assert [] == _cycles({"a": {"b"}, "b": {"c"}, "c": set()})

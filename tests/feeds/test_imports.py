"""How feeds/ imports: adapters see only the kit, the kit only four server modules, no circles."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIT_MAY_IMPORT = {"server.stream.events", "server.errors", "server.clock", "server.districts"}
# the one import inside a function: pyproj is heavy and only a projected-CRS mapping feed needs it
LAZY_IMPORTS = {("feeds.mapping.project", "pyproj"), ("feeds.mapping.project", "pyproj.exceptions")}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module, inside a function?) for every import statement of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = {id(n) for f in functions for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in nested))
    return found


def sources(top: str) -> dict[str, Path]:
    return {module_name(p): p for p in (ROOT / top).rglob("*.py")}


FEEDS = sources("feeds")


def test_adapters_import_only_the_kit_and_their_own_package() -> None:
    wrong = []
    for name, path in FEEDS.items():
        package = name.split(".")[1] if name.count(".") else ""
        if package in ("", "kit", "runner", "registry"):
            continue
        for module, _ in imports(path):
            own = module == f"feeds.{package}" or module.startswith(f"feeds.{package}.")
            kit = module == "feeds.kit" or module.startswith("feeds.kit.")
            if module.startswith("server") or (module.startswith("feeds") and not (own or kit)):
                wrong.append(f"{name} imports {module}")
    assert wrong == []


def test_the_kit_imports_only_the_server_modules_it_stands_on() -> None:
    wrong = [
        f"{name} imports {module}"
        for name, path in FEEDS.items()
        if name.startswith("feeds.kit")
        for module, _ in imports(path)
        if module.startswith("server") and module not in KIT_MAY_IMPORT
    ]
    assert wrong == []


def test_no_import_hides_inside_a_function() -> None:
    hidden = {
        (name, module) for name, path in FEEDS.items() for module, nested in imports(path) if nested
    }
    assert hidden == LAZY_IMPORTS


def test_no_import_circle_runs_through_feeds() -> None:
    modules = {**sources("server"), **FEEDS}
    graph = {
        name: {m for m, nested in imports(path) if not nested and m in modules and m != name}
        for name, path in modules.items()
    }
    circles = []
    for start in FEEDS:
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" → ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert circles == []

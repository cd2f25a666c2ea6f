"""The house's arrows point one way: no import circles, and each layer imports only the ones below.

docs/architecture.md draws these layers; this test keeps the code to the picture.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "feeds")
# imports made inside a function on purpose: a heavy optional library loaded only when used
LAZY_IMPORTS = {("feeds.mapping.project", "pyproj")}

# what each part may import from this project (a module's part is its longest matching prefix)
ALLOWED: dict[str, tuple[str, ...]] = {
    "server": (),
    "server.errors": (),
    "server.clock": (),
    "server.plugins": ("server.errors",),
    "server.stream": ("server.stream", "server.errors", "server.clock"),
    "server.districts": ("server.stream.events",),
    "feeds.kit": (
        "feeds.kit",
        "server.stream.events",
        "server.errors",
        "server.clock",
        "server.districts",
    ),
    "feeds": ("feeds.kit",),  # every adapter: the public kit and its own package only
    "feeds.runner": (
        "feeds.kit",
        "server.stream",
        "server.errors",
        "server.clock",
        "server.districts",
    ),
    "feeds.registry": ("feeds.kit", "server.plugins", "server.errors"),
    "server.situations": ("server.situations", "server.stream", "server.errors"),
    "server.cameras": ("server.cameras", "server.stream", "server.situations.geo", "server.errors"),
    "server.settings": (
        "server.errors",
        "feeds.kit",
        "server.cameras.registry",
        "server.stream.events",
        "server.escalation.settings",
        "server.situations.settings",
        "server.public.settings",
    ),
    "server.escalation.settings": ("server.stream.events",),
    "server.public": ("server.public", "server.stream", "server.errors", "server.clock"),
    "server.replay": (
        "server.replay",
        "server.stream",
        "server.errors",
        "server.clock",
        "server.situations",
    ),
    "server.officers": (
        "server.officers",
        "server.stream",
        "server.errors",
        "server.clock",
        "server.districts",
        "server.settings",
        "server.plugins",
    ),
    "server.brief": (
        "server.brief",
        "server.stream",
        "server.errors",
        "server.clock",
        "server.districts",
        "server.replay.recording",
    ),
    "server.escalation": (
        "server.escalation",
        "server.officers",
        "server.stream",
        "server.errors",
        "server.clock",
        "server.settings",
        "server.plugins",
    ),
    "server.http": ("server", "feeds"),  # the composition root knows both sides
    "server.cli": ("server", "feeds"),
}


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every Python module of the project's packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def project_imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported project module, made inside a function?) for each import of a module."""
    tree = ast.parse(path.read_text())
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner |= {id(n) for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)}
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{a.name}" for a in node.names]
            targets = [t if t in known else node.module for t in targets]
        for target in targets:
            if target.split(".")[0] in PACKAGES or target in known:
                found.append((target, id(node) in inner))
            elif id(node) in inner and (name, target.split(".")[0]) not in LAZY_IMPORTS:
                found.append((target, True))
    return found


def part_of(name: str) -> str:
    """The longest ALLOWED key that is the module itself or one of its packages."""
    keys = [k for k in ALLOWED if name == k or name.startswith(k + ".")]
    return max(keys, key=len)


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    return {
        name: {t for t, _ in project_imports(name, path, known) if t in known}
        for name, path in known.items()
    }


def test_no_module_imports_inside_a_function() -> None:
    known = modules()
    hidden = [
        f"{name} imports {target} inside a function"
        for name, path in known.items()
        for target, inside in project_imports(name, path, known)
        if inside
    ]
    assert hidden == []


def upward_imports(known: dict[str, Path]) -> list[str]:
    """Each import that reaches a part its module's part may not use."""
    wrong = []
    for name, path in known.items():
        part = part_of(name)
        own_package = ".".join(name.split(".")[:2])  # an adapter may import its own modules
        for target, _ in project_imports(name, path, known):
            allowed = ALLOWED[part] + ((own_package,) if part == "feeds" else ())
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                wrong.append(f"{name} ({part}) imports {target}")
    return wrong


def test_each_layer_imports_only_what_lies_below_it() -> None:
    assert upward_imports(modules()) == []


def circles_in(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every set of modules that import each other in a loop (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return circles


def test_there_are_no_import_circles() -> None:
    assert circles_in(graph(modules())) == []


def test_the_checks_find_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    """The checker itself, on a small tree: the stream reaching up into the HTTP layer, an
    adapter reaching past the kit, and the two HTTP modules importing each other."""
    files = {
        "server/__init__.py": "",
        "server/stream/__init__.py": "",
        "server/stream/hub.py": "from server.http import app\n",
        "server/http/__init__.py": "",
        "server/http/app.py": "from server.http import ws\nfrom server.stream import hub\n",
        "server/http/ws.py": "from server.http.app import create_app\n",
        "feeds/__init__.py": "",
        "feeds/cap/__init__.py": "from server.stream import events\nfrom feeds.cap import x\n",
        "feeds/cap/x.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    known = modules(tmp_path)
    assert sorted(upward_imports(known)) == [
        "feeds.cap (feeds) imports server.stream",
        "server.stream.hub (server.stream) imports server.http.app",
    ]
    assert circles_in(graph(known)) == [["server.http.app", "server.http.ws", "server.stream.hub"]]

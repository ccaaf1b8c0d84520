"""The package's imports read one way: no cycles, no layer importing a later one, click only in
the CLI (docs/architecture.md, "Layers").

Every ``import`` of every module of ``generator/`` counts, including those inside functions and
under ``TYPE_CHECKING``: a deferred import still ties the modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "generator"

# Lowest first. A module belongs to the layer of its longest matching prefix; it may import its
# own layer and the layers before it. Keep in step with docs/architecture.md.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "generator",
            "generator.errors",
            "generator.yamlio",
            "generator.validate",
            "generator.resources",
            "generator.cachefiles",
            "generator.cachekey",
            "generator.memory",
            "generator.plugins",
            "generator.signing",
            "generator.status",
            "generator.timewords",
            "generator.numberwords",
            "generator.textcheck",
            "generator.patterns",
            "generator.outfolder",
            "generator.interrupts",
            "generator.workers",
        ),
    ),
    # Fetching a configured repository (a URL) is part of loading the config.
    (
        "inputs",
        (
            "generator.catalog",
            "generator.library",
            "generator.coverage",
            "generator.config",
            "generator.configmodel",
            "generator.approvalconfig",
            "generator.scopes",
            "generator.history.clone",
            "generator.history.gitenv",
        ),
    ),
    (
        "sources",
        (
            "generator.sources",
            "generator.history",
            "generator.releasenotes",
            "generator.meshevents",
        ),
    ),
    ("evidence", ("generator.evidence", "generator.rules")),
    # The release-note join reads the evidence model; its Markdown/HTML/Atom writers render it.
    (
        "render",
        (
            "generator.render",
            "generator.releasenotes.join",
            "generator.releasenotes.timeline",
            "generator.releasenotes.render",
            "generator.releasenotes.atom",
        ),
    ),
    # The manifest's verify reads a pack's evidence model back.
    # The release-notes stage joins the notes with each pack's model (the render layer's join).
    # The site step reads finished packs back (their manifest, their model).
    (
        "build",
        (
            "generator.build",
            "generator.gate",
            "generator.manifest",
            "generator.notes_stage",
            "generator.packwriter",
            "generator.site",
        ),
    ),
    (
        "cli",
        (
            "generator.cli",
            "generator.cliopts",
            "generator.commands",
            "generator.demo",
            "generator.entry",
            "generator.testing",
            "generator.testing_json",
        ),
    ),
)
CLICK_ALLOWED = ("generator.cli", "generator.cliopts", "generator.commands")


def module_names(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package at ``root``."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def imported_names(name: str, path: Path) -> set[str]:
    """Every dotted name the module imports; ``from pkg import x`` gives ``pkg.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (the nearest module for a name inside one)."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(name, path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def layer_of(module: str, layers=LAYERS) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for number, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            exact_only = "." not in prefix  # the root package's __init__ only, not everything
            matches = module == prefix or (not exact_only and module.startswith(prefix + "."))
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), number)
    return None if best is None else best[1]


def upward_imports(graph: dict[str, set[str]], layers=LAYERS) -> list[str]:
    names = [name for name, _ in layers]
    found = []
    for module, targets in sorted(graph.items()):
        own = layer_of(module, layers)
        for target in sorted(targets):
            theirs = layer_of(target, layers)
            if own is not None and theirs is not None and theirs > own:
                found.append(f"{module} ({names[own]}) imports {target} ({names[theirs]})")
    return found


def click_users(root: Path) -> list[str]:
    return sorted(
        name
        for name, path in module_names(root).items()
        if any(i == "click" or i.startswith("click.") for i in imported_names(name, path))
        and not any(name == p or name.startswith(p + ".") for p in CLICK_ALLOWED)
    )


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGE)


def test_the_package_has_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_every_module_has_a_layer(graph: dict[str, set[str]]) -> None:
    assert [module for module in graph if layer_of(module) is None] == []


def test_no_module_imports_a_later_layer(graph: dict[str, set[str]]) -> None:
    assert upward_imports(graph) == []


def test_only_the_cli_imports_click() -> None:
    assert click_users(PACKAGE) == []


def test_the_checks_see_cycles_upward_and_click_imports_in_a_package(tmp_path: Path) -> None:
    # The checks above pass on generator/; here they must fail on a package built to fail them.
    root = tmp_path / "pkg"
    (root / "low").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "low/__init__.py": "",
        "low/a.py": "def f():\n    from pkg.low import b\n",  # deferred: still an import
        "low/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
        "low/c.py": "import click\nfrom pkg.high import d\n",
        "high.py": "from pkg.low.a import f\n",
    }
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    layers = (("low", ("pkg", "pkg.low")), ("high", ("pkg.high",)))
    found = import_graph(root)
    assert found["pkg.low.a"] == {"pkg.low.b"} and found["pkg.low.b"] == {"pkg.low.a"}
    assert cycles(found) == [["pkg.low.a", "pkg.low.b"]]
    assert upward_imports(found, layers) == ["pkg.low.c (low) imports pkg.high (high)"]
    assert click_users(root) == ["pkg.low.c"]

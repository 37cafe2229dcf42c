"""The layers of referral/ (CONTRIBUTING.md, "Where things live"): a module imports only from its
own layer or the ones below, and no modules import each other in a circle. Imports inside functions
count too: they are how a circle gets hidden."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_db

PACKAGE = Path(__file__).resolve().parents[1] / "referral"

#: The layers from the bottom, each the top-level packages and modules of referral/ it holds. This is
#: the one place the order is written.
LAYERS = (
    ("extensions", "models", "dbutil", "sqlite", "translation", "labels", "faults", "demo_data", "hsds",
     "timezones"),
    ("security",),
    ("audit",),
    ("policy",),
    ("stats", "notifications"),
    ("workflows",),
    ("services",),
    ("jobs", "selfcheck", "backup"),
    ("lifecycle", "web", "api", "i18n"),
    ("__init__", "cli", "demo", "tools"),
)
LAYER_OF = {name: n for n, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = ["referral", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the referral modules it imports (a name imported from a package counts as its
    submodule when there is one)."""
    paths = {module_name(p): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in paths.items():
        here = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = here.split(".")[: len(here.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                if target and target.split(".")[0] == "referral":
                    for alias in node.names:
                        sub = f"{target}.{alias.name}"
                        graph[module].add(sub if sub in paths else target)
            elif isinstance(node, ast.Import):
                graph[module].update(a.name for a in node.names if a.name.split(".")[0] == "referral")
    return graph


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYER_OF[parts[1] if len(parts) > 1 else "__init__"]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} imports {b}" for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
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

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_every_package_has_a_layer():
    names = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists() or p.name == "hsds")}
    assert names - set(LAYER_OF) == set()


def test_no_module_imports_from_a_layer_above_its_own():
    assert upward_imports(import_graph()) == []


def test_no_modules_import_each_other_in_a_circle():
    assert cycles(import_graph()) == []


def test_packages_of_one_layer_import_each_other_one_way_only():
    packages = defaultdict(set)
    for module, targets in import_graph().items():
        for target in targets:
            a, b = module.split(".")[1:2] or ["__init__"], target.split(".")[1:2] or ["__init__"]
            if a != b:
                packages[a[0]].add(b[0])
    assert cycles(packages) == []


def test_the_checks_catch_what_they_look_for():
    graph = {"referral.models.case": {"referral.services.cases"},
             "referral.services.cases": {"referral.services.plan"},
             "referral.services.plan": {"referral.services.cases"}}
    assert upward_imports(graph) == ["referral.models.case imports referral.services.cases"]
    assert cycles(graph) == [["referral.services.cases", "referral.services.plan"]]

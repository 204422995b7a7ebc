"""The floors hold (README "The floors"): no two apps import each other, not even inside a function,
and the settlement engine imports only the standard library and itself. import-linter checks the
declared order in the test command; these check the two facts a newcomer relies on from the code."""

import ast
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(
    [app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()] + ["engine"]
)
ENGINE = ROOT / "engine"


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement in ``path`` names, anywhere in the file (absolute)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.append(
                    (node.lineno, ".".join([*base, *([node.module] if node.module else [])]))
                )
            else:
                found.append((node.lineno, node.module or ""))
    return found


def _app_edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for line, name in _imports(path):
                target = name.split(".")[0]
                if target in APPS and target != app:
                    edges.setdefault((app, target), []).append(f"{path.relative_to(ROOT)}:{line}")
    return edges


def test_no_two_apps_reach_each_other_through_imports():
    edges = _app_edges()
    reach = {app: {b for (a, b) in edges if a == app} for app in APPS}
    changed = True
    while changed:  # transitive closure
        changed = False
        for app in APPS:
            more = set().union(*(reach[b] for b in reach[app])) - reach[app]
            if more:
                reach[app] |= more
                changed = True
    cycles = sorted(app for app in APPS if app in reach[app])
    assert cycles == [], {
        pair: where for pair, where in edges.items() if pair[0] in cycles and pair[1] in cycles
    }
    assert ("audit", "accounts") not in edges and ("payments", "applications") in edges
    assert not [pair for pair in edges if pair[0] == "engine"]
    assert ("core", "engine") in edges  # the engine's money is the one amount parser


def test_the_engine_imports_only_the_standard_library_and_itself():
    outside = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in ENGINE.rglob("*.py")
        for line, name in _imports(path)
        if name.split(".")[0] != "engine" and name.split(".")[0] not in sys.stdlib_module_names
    ]
    assert outside == []

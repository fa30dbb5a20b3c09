"""The tree shows the architecture (issue 17): every concern is an app, no two apps import
each other (directly or around a circle), ``lib`` imports no app, no app reaches up into
the project package, and the project package stays configuration.

The import graph is read from the source, function-level imports included: a lazy import
inside a function hides a cycle from Python at start-up, not from the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "intarget_export"
# Top-level folders that hold no part of the service.
NOT_APPS = {"tests", "bench", "docs", "deploy", "bin", "data"}
# The sizes issue 17 set: the project package is configuration, no app is half the code.
PROJECT_MAX_MODULES = 14
PROJECT_MAX_SHARE = 0.12
APP_MAX_SHARE = 0.25


def packages() -> list[str]:
    """The service's top-level packages: the project package, every app and ``lib``."""
    return sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_APPS and not path.parent.name.startswith(".")
    )


def module_paths(*, migrations: bool = True) -> dict[str, Path]:
    modules = {}
    for package in packages():
        for path in (ROOT / package).rglob("*.py"):
            if not migrations and "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imports_of(path: Path) -> set[str]:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    return imported


def import_graph() -> dict[str, set[str]]:
    """Each of the service's modules -> the service's modules it imports, anywhere in it."""
    modules = module_paths()
    return {
        name: {target for target in imports_of(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def app_graph() -> dict[str, set[str]]:
    """Each package -> the other packages it imports, from any of its modules."""
    graph: dict[str, set[str]] = {package: set() for package in packages()}
    for module, targets in import_graph().items():
        source = module.split(".")[0]
        graph[source].update(target.split(".")[0] for target in targets if target.split(".")[0] != source)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def code_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def all_code_lines() -> int:
    """Every module of the repository but tests, benchmarks and migrations (gunicorn.conf.py,
    manage.py and the client recipes under docs/ included)."""
    skipped = {"tests", "bench", "migrations", "data"}
    return sum(
        code_lines(path)
        for path in ROOT.rglob("*.py")
        if not skipped & set(path.relative_to(ROOT).parts) and not path.relative_to(ROOT).parts[0].startswith(".")
    )


def test_the_cycle_finder_finds_a_cycle_around_three_apps():
    graph = {"api": {"serving"}, "serving": {"feeds"}, "feeds": {"api"}, "lib": set()}
    assert cycles(graph) == [["api", "feeds", "serving"]]


def test_the_cycle_finder_finds_a_lazy_import_cycle():
    graph = {"players.models": {"players.feeds"}, "players.feeds": {"players.models"}, "players.admin": {"players.models"}}
    assert cycles(graph) == [["players.feeds", "players.models"]]


def test_the_service_is_split_into_the_apps_the_architecture_names():
    assert {PROJECT, "feeds", "serving", "loading", "api", "access", "operations", "privacy", "lib"} <= set(packages())


def test_no_two_apps_import_each_other_directly_or_around_a_circle():
    assert cycles(app_graph()) == []


def test_lib_imports_no_app():
    assert app_graph()["lib"] == set()


def test_no_app_imports_the_project_package():
    """The project package is configuration: it names apps (settings, urls), never the reverse."""
    importers = sorted(package for package, targets in app_graph().items() if PROJECT in targets)
    assert importers == []


def test_no_module_of_players_or_privacy_is_part_of_an_import_cycle():
    watched = [cycle for cycle in cycles(import_graph()) if any(m.split(".")[0] in ("players", "privacy") for m in cycle)]
    assert watched == []


def test_the_project_package_holds_configuration_only_and_no_app_most_of_the_code():
    """Non-blank lines of the service's modules, migrations excluded (tests and bench are
    outside the packages): the project package at most 14 modules and 12 % of them, no app
    more than 25 %."""
    lines: dict[str, int] = {}
    project_modules = 0
    for module, path in module_paths(migrations=False).items():
        package = module.split(".")[0]
        lines[package] = lines.get(package, 0) + code_lines(path)
        project_modules += package == PROJECT
    total = all_code_lines()
    assert project_modules <= PROJECT_MAX_MODULES
    assert lines[PROJECT] <= PROJECT_MAX_SHARE * total, (lines[PROJECT], total)
    too_large = {package: round(n / total, 3) for package, n in lines.items() if n > APP_MAX_SHARE * total}
    assert too_large == {}

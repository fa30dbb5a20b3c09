"""players/feeds.py and players/models.py no longer import each other (issue 8).

The import graph is read from the source, function-level imports included: a lazy import
inside a function hides a cycle from Python at start-up, not from the reader.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("access", "games", "intarget_export", "operations", "payments", "players", "privacy", "sports")
# The modules whose cycles this test answers for; the others' are their owners' to test.
WATCHED = ("players", "privacy")


def module_paths() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """Each of the service's modules -> the service's modules it imports, anywhere in it."""
    modules = module_paths()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_cycle_finder_finds_a_lazy_import_cycle():
    graph = {"players.models": {"players.feeds"}, "players.feeds": {"players.models"}, "players.admin": {"players.models"}}
    assert cycles(graph) == [["players.feeds", "players.models"]]


def test_no_players_or_privacy_module_is_part_of_an_import_cycle():
    watched = [cycle for cycle in cycles(import_graph()) if any(m.split(".")[0] in WATCHED for m in cycle)]
    assert watched == []


def test_the_users_feed_and_the_custom_field_rule_share_one_list_of_standard_columns():
    from players import feeds, models, users_columns

    assert feeds.FEEDS[0].columns is users_columns.USERS_COLUMNS
    assert models.USERS_STANDARD_COLUMNS is users_columns.USERS_STANDARD_COLUMNS

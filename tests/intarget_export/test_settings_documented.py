"""Every environment variable the service reads is in docs/settings.md, with the code's default.

The variables are read from the source (settings.py, gunicorn.conf.py and the bin/
scripts), not from a list kept by hand: a new ``env_int("X", 3)`` without a row in the
document fails here, and so does a row whose default is not the code's.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "settings.md"
PYTHON_SOURCES = [ROOT / "intarget_export" / "settings.py", ROOT / "gunicorn.conf.py"]
SHELL_SOURCES = sorted((ROOT / "bin").iterdir())
# settings.py's helpers, and the standard library's readers: the variable is the first argument.
READERS = {"env_bool", "env_float", "env_int", "env_list", "getenv", "get"}
NO_DEFAULT = object()


def _reader_name(call: ast.Call) -> str | None:
    """``env_int("X", …)``, ``os.getenv("X", …)`` or ``os.environ.get("X", …)``: the name "X"."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in READERS or not call.args or not isinstance(call.args[0], ast.Constant):
        return None
    if name == "get" and not (isinstance(func.value, ast.Attribute) and func.value.attr == "environ"):
        return None
    variable = call.args[0].value
    return variable if isinstance(variable, str) and variable.isupper() else None


def _constant(node: ast.AST) -> object:
    """The default when the code writes it as a constant (``50 * 2**20`` included), else NO_DEFAULT."""
    try:
        return eval(compile(ast.Expression(node), "<default>", "eval"), {"__builtins__": {}})  # noqa: S307
    except Exception:
        return NO_DEFAULT


def python_variables(path: Path) -> dict[str, object]:
    """Each variable the file reads -> its default (NO_DEFAULT when none or not a constant)."""
    found: dict[str, object] = {}
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (variable := _reader_name(node)):
            default = _constant(node.args[1]) if len(node.args) > 1 else NO_DEFAULT
            found.setdefault(variable, default)
            if default is not NO_DEFAULT:
                found[variable] = default
        # os.getenv("X") or "default"
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and isinstance(node.values[0], ast.Call):
            if (variable := _reader_name(node.values[0])) and len(node.values[0].args) == 1:
                found[variable] = _constant(node.values[1])
    return found


def shell_variables(path: Path) -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)(?::?-[^}]*)?\}", path.read_text()))


def documented() -> dict[str, str]:
    """Each variable of the document's tables -> its default cell."""
    rows: dict[str, str] = {}
    for line in DOCUMENT.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3:
            for variable in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
                rows[variable] = cells[1]
    return rows


def written(default: object) -> str:
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default).lower()


def test_every_variable_the_service_reads_is_documented():
    read = set()
    for path in PYTHON_SOURCES:
        read |= set(python_variables(path))
    for path in SHELL_SOURCES:
        read |= shell_variables(path)
    assert read - set(documented()) == set(), "add a row to docs/settings.md"


def test_each_documented_default_is_the_codes():
    rows = documented()
    wrong = {}
    for path in PYTHON_SOURCES:
        for variable, default in python_variables(path).items():
            if default in (NO_DEFAULT, None, "") or variable not in rows:
                continue  # computed (a path, half the threads), Django's own, or none: said in words
            first = re.match(r"`([^`]*)`", rows[variable])
            if first is None or first.group(1).lower() != written(default):
                wrong[variable] = (rows[variable], written(default))
    assert wrong == {}


def test_the_readers_are_found():
    """The parsing above finds what it must: a guard against a check that checks nothing."""
    variables = python_variables(ROOT / "intarget_export" / "settings.py")
    assert variables["PUSH_MAX_BYTES"] == 50 * 2**20
    assert variables["API_RATE_LIMIT"] == "600/min"
    assert variables["DEBUG"] is False
    assert variables["DATA_DIR"] is NO_DEFAULT
    assert python_variables(ROOT / "gunicorn.conf.py")["WEB_CONCURRENCY"] == "2"
    assert "PROMETHEUS_MULTIPROC_DIR" in python_variables(ROOT / "gunicorn.conf.py")
    assert {"PORT", "VENV_DIR"} <= set().union(*(shell_variables(path) for path in SHELL_SOURCES))

"""Virtualenvs of their own for real client programs (dlt, …), apart from the service's.

``client_venv(requirements)`` gives the Python of a virtualenv with exactly that file's
pinned packages (every one of them, as ``pip freeze`` writes them), made once per content of the file under ``.client-venvs/`` (git-ignored)
and reused by later runs: a changed file makes a new one.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2].parent
VENVS = ROOT / ".client-venvs"


def client_venv(requirements: Path) -> Path:
    """The ``python`` of a virtualenv holding ``requirements``, installed if need be."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    home = VENVS / f"{requirements.stem}-{digest}"
    python = home / "bin" / "python"
    complete = home / ".complete"  # written last: an install cut short is made again
    if complete.exists():
        return python
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
    # The file pins every package (a pip freeze): no resolving (--no-deps), and no
    # compiling of modules the client never imports (--no-compile), half the install's
    # time; pip check then refuses a file that misses a dependency.
    for command in (["install", "--quiet", "--no-deps", "--no-compile", "-r", str(requirements)], ["check"]):
        done = subprocess.run([str(python), "-m", "pip", *command, "--disable-pip-version-check"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip {command[0]} for {requirements} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    complete.touch()
    return python

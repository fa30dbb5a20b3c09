"""Files only the service's own user may open, whatever the umask (issue 18): the data
folder 0700; the SQLite database, the generated secret key, the demo key and an export's
output 0600.

A umask only takes bits away, but a strict one can take the owner's too, so every mode is
set explicitly (``fchmod``/``chmod``) after creation. A file is written under a temporary
name created exclusively in the folder it ends up in (``mkstemp``: ``O_EXCL``, which never
follows a symbolic link), then renamed into place: a link planted at the final name, or at
a predictable temporary name, is replaced or refused, never written through.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def private_folder(path: Path) -> Path:
    """``path``, made with its missing parents when absent; the folder itself 0700 when
    this call made it (a folder the operator made and chose a mode for is left as it is)."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, PRIVATE_FOLDER)
    return path


def private_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """An open descriptor and the path of a new, empty 0600 file in ``folder``, whose
    random name starts with ``.<name>.`` (never an existing file, never a link)."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    os.fchmod(fd, PRIVATE_FILE)
    return fd, Path(temporary)


def write_private(path: Path, text: str) -> None:
    """``text`` in ``path``, mode 0600, whole or not at all: what was at that name (a
    file, a symbolic link) is replaced by the rename, never written through."""
    fd, temporary = private_temporary(path.parent, path.name)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def private_database_file(path: Path) -> None:
    """The SQLite database file made 0600 (SQLite makes it 0644 less the umask). Called as
    each connection opens, before anything is written to a new file; its -wal and -shm
    files, made later, take the database file's mode."""
    if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o777 != PRIVATE_FILE:
        os.chmod(path, PRIVATE_FILE)

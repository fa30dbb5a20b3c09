"""The secret key a deployment did not set: generated once, kept in a file, shared.

Every gunicorn worker and every ``manage.py`` run imports the settings; they must all
agree on one key (sessions and CSRF tokens signed by one worker are checked by another),
and the key must outlive restarts. So the first process to need it writes it to a file
under ``DATA_DIR`` (mode 0600) and everyone, that process included, reads it back from
there. A fixed fallback in the code would be a published secret.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from lib.private_files import private_folder, private_temporary

FILE_NAME = "secret_key"


def kept_secret_key(data_dir: Path) -> str:
    """The key stored in ``data_dir``, created there first if there is none."""
    path = data_dir / FILE_NAME
    if not path.exists():
        private_folder(data_dir)
        _create(path)
    key = path.read_text().strip()
    if len(key) < 50:
        raise OSError(f"{path} holds no usable secret key; delete it to have a new one generated")
    return key


def _create(path: Path) -> None:
    # Written whole to a private temporary file, then linked into place: link() fails if
    # the name exists, so of two processes starting at once exactly one key wins, and no
    # reader ever sees a half-written file (which a plain O_CREAT|O_EXCL open would allow).
    fd, temporary = private_temporary(path.parent, FILE_NAME)  # mode 0600, whatever the umask
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process got there first; its key is the one
    finally:
        os.unlink(temporary)

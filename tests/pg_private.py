"""A private PostgreSQL cluster in a temporary folder, on a free port, for tests that
stop, freeze or kill the database server: never the shared one on 5432.

Debian's server binaries (/usr/lib/postgresql/<version>/bin). initdb refuses to run as
root, so as root the cluster runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.served import free_port


def server_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started cluster, stopped and removed afterwards. Its folder is made under the
    system's temporary folder (pytest's tmp_path is closed to the postgres user)."""
    folder = Path(tempfile.mkdtemp(prefix="pg_private_"))
    cluster = PrivateCluster(folder)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


class PrivateCluster:
    def __init__(self, folder: Path):
        self.bin = server_bin()
        assert self.bin is not None, "PostgreSQL server binaries not found under /usr/lib/postgresql"
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(folder, "postgres")
            os.chmod(folder, 0o700)

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True)

    def start(self) -> PrivateCluster:
        if not self.data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        self.thaw()
        subprocess.run(
            [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> None:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url(database), "-c", sql], check=True, capture_output=True)

    def processes(self) -> list[int]:
        """The postmaster and every process it started (backends included)."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        return [postmaster, *map(int, children)]

    def freeze(self) -> None:
        """Stop every process of the cluster: the kernel still accepts connections and
        acknowledges data, but nothing answers and no server-side timeout fires."""
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        try:
            pids = self.processes()
        except (OSError, ValueError):
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


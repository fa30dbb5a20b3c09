"""PostgreSQL of a test's own: a private cluster, for tests that stop, freeze or break the
database server, and a private database on the test run's server, for a service process
that needs a database nobody else writes to.

Never the shared server on 5432 for a cluster: other test runs use it at the same time.
A cluster lives in a temporary folder of its own, listens on a free port on 127.0.0.1
(its socket in the same folder) and is removed by ``destroy()`` (or on leaving ``with``).
PostgreSQL refuses to run as root, so when the tests run as root its programs run as the
``postgres`` system user.

    with PostgresCluster.create() as cluster:
        cluster.start()
        url = cluster.create_database("intarget")  # postgresql://postgres@127.0.0.1:<port>/intarget
        cluster.freeze(); cluster.thaw()           # SIGSTOP / SIGCONT every server process
        cluster.stop("immediate")                  # the server dies, as in a crash
        cluster.start()
        replica = PostgresCluster.replica_of(cluster).start()  # a hot standby streaming from it

    database = PrivateDatabase("fuzz")             # test_<run>_fuzz on the test run's server
    database.url; database.drop()
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.servers import free_port

# Speed over durability: the data is thrown away with the folder.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=50")


def server_bin() -> Path | None:
    """PG_BIN, or the newest of Debian's server versions (/usr/lib/postgresql/<n>/bin)."""
    if os.getenv("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


class PostgresCluster:
    def __init__(self, folder: Path, port: int):
        self.bin = server_bin()
        assert self.bin is not None, "PostgreSQL server binaries not found under /usr/lib/postgresql"
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port

    @classmethod
    def create(cls) -> PostgresCluster:
        """A new cluster (initdb), not started yet."""
        # Not under pytest's tmp_path: that folder is private to root, and the server may
        # run as the postgres user.
        folder = Path(tempfile.mkdtemp(prefix="intarget-pg-"))
        cluster = cls(folder, free_port())
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return cluster

    @classmethod
    def replica_of(cls, primary: PostgresCluster) -> PostgresCluster:
        """A streaming replica of the running ``primary`` (pg_basebackup -R: a hot standby
        that connects back to it), not started yet. initdb's pg_hba.conf lets 127.0.0.1
        replicate with trust, so the primary needs no change."""
        folder = Path(tempfile.mkdtemp(prefix="intarget-pg-replica-"))
        replica = cls(folder, free_port())
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
        replica._run(
            "pg_basebackup", "-D", str(replica.data), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )
        return replica

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.destroy()

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self._command(program, *args), check=True, capture_output=True, text=True)

    def start(self) -> PostgresCluster:
        options = " ".join(
            [f"-p {self.port}", f"-k {self.folder}", "-c listen_addresses=127.0.0.1", *(f"-c {s}" for s in FAST_SETTINGS)]
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients are disconnected, the server shuts down cleanly; ``immediate``:
        every server process quits at once, as in a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def is_running(self) -> bool:
        return subprocess.run(self._command("pg_ctl", "-D", str(self.data), "status"), capture_output=True).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **options: object) -> psycopg.Connection:
        return psycopg.connect(self.url(database), **options)

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run ``sql`` (statements separated by ``;``, as one transaction) in ``database``."""
        with self.connect(database, autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self, name: str) -> str:
        """A new database in the cluster; its URL."""
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

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
            return  # not running
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def destroy(self) -> None:
        """Stop the server at once, wherever it is (frozen included), and remove its folder."""
        if self.data.exists() and self.is_running():
            self.thaw()  # a frozen postmaster would not hear the stop
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateDatabase:
    """A database of its own on the test run's PostgreSQL server, for a service process:
    ``<TEST_DATABASE_NAME>_<suffix>``, created empty; ``drop()`` removes it, connections
    and all."""

    def __init__(self, suffix: str):
        from django.db import connection

        params = connection.get_connection_params()
        self.name = f"{os.getenv('TEST_DATABASE_NAME') or 'test_intarget'}_{suffix}"
        self._admin = psycopg.connect(
            host=params.get("host"), port=params.get("port"), user=params.get("user"),
            password=params.get("password"), dbname="postgres", autocommit=True,
        )
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.execute(f'CREATE DATABASE "{self.name}"')
        password = f":{params['password']}" if params.get("password") else ""
        self.url = f"postgresql://{params.get('user')}{password}@{params.get('host')}:{params.get('port') or 5432}/{self.name}"

    def drop(self) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()

"""A private PostgreSQL cluster for tests that stop, freeze or break the database server.

Never the shared server on 5432: other test runs use it at the same time. The cluster
lives in a temporary folder of its own, listens on a free port on 127.0.0.1 (its socket
in the same folder) and is removed by ``destroy()``. PostgreSQL refuses to run as root,
so when the tests run as root its programs run as the ``postgres`` system user.

    cluster = PostgresCluster.create()
    cluster.start()
    cluster.url("intarget")   # postgresql://postgres@127.0.0.1:<port>/intarget
    cluster.stop("immediate") # the server dies, as in a crash
    cluster.destroy()
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.servers import free_port

BIN = Path(os.getenv("PG_BIN", "/usr/lib/postgresql/15/bin"))
# Speed over durability: the data is thrown away with the folder.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=50")


class PostgresCluster:
    def __init__(self, folder: Path, port: int):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port

    @classmethod
    def create(cls) -> PostgresCluster:
        # Not under pytest's tmp_path: that folder is private to root, and the server may
        # run as the postgres user.
        folder = Path(tempfile.mkdtemp(prefix="intarget-pg-"))
        cluster = cls(folder, free_port())
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        return cluster

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(BIN / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> None:
        options = " ".join(
            [f"-p {self.port}", f"-k {self.folder}", "-c listen_addresses=127.0.0.1", *(f"-c {s}" for s in FAST_SETTINGS)]
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients are disconnected, the server shuts down cleanly; ``immediate``:
        every server process quits at once, as in a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def is_running(self) -> bool:
        command = [str(BIN / "pg_ctl"), "-D", str(self.data), "status"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **options: object) -> psycopg.Connection:
        return psycopg.connect(self.url(database), **options)

    def create_database(self, name: str) -> str:
        with self.connect(autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        if self.data.exists() and self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

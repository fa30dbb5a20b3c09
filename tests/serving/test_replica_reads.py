"""Feeds read from a real streaming replica (DATABASE_REPLICA_URL), never staler than the
primary: a private primary and its hot standby (initdb, pg_basebackup -R, free ports),
started once for this module and removed at its end; the service under gunicorn.

The replica applies each commit a quarter of a second after the primary made it
(``recovery_min_apply_delay``), as a busy replica lags: a read that does not wait for the
replay position then misses rows every few windows, and the replay test shows it.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.serving.test_replay import SWITCH_OFF, Puller, Tally, replay, replay_problems, replay_summary, sql_writer
from tests.support.pgcluster import PostgresCluster
from tests.support.servers import Gunicorn, migrate, new_key, run_manage, service_env
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow]

# The replica's lag: enough for the wait to have work to do, little enough to keep the
# replay short. Without the wait, a lag of a whole window makes the losses certain: the
# last version of nearly every row is read before the replica has applied it.
APPLY_DELAY = "150ms"
UNCHECKED_APPLY_DELAY = "1s"
REPLAY_SECONDS = 5
# Short, so that the tests of a replica that cannot catch up take seconds.
MAX_WAIT = 1.0


@dataclass
class Servers:
    primary: PostgresCluster
    replica: PostgresCluster
    env: dict[str, str]
    key: str
    folder: Path

    def primary_connection(self) -> psycopg.Connection:
        return self.primary.connect("intarget")

    def primary_now(self) -> dt.datetime:
        with self.primary.connect("intarget") as connection:
            return connection.execute("SELECT clock_timestamp()").fetchone()[0]

    def gunicorn(self, name: str, **overrides: str) -> Gunicorn:
        return Gunicorn(self.env, self.folder / f"{name}.log", **overrides)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    primary = PostgresCluster.create()
    replica = None
    try:
        primary.start()
        url = primary.create_database("intarget")
        replica = PostgresCluster.replica_of(primary)
        replica.start()
        lag(replica, APPLY_DELAY)
        folder = tmp_path_factory.mktemp("replica")
        env = service_env(folder, url, DATABASE_REPLICA_URL=replica.url("intarget"))
        migrate(env)
        yield Servers(primary, replica, env, new_key(env), folder)
    finally:
        if replica is not None:
            replica.destroy()
        primary.destroy()


def lag(replica: PostgresCluster, delay: str) -> None:
    replica.execute(f"ALTER SYSTEM SET recovery_min_apply_delay = '{delay}'")
    replica.execute("SELECT pg_reload_conf()")


def replica_outcomes(server: Gunicorn) -> dict[str, float]:
    """intarget_export_replica_waits_total by outcome, from /metrics."""
    status, _, body = server.request("GET", "/metrics")
    assert status == 200, body
    found = re.findall(r'^intarget_export_replica_waits_total\{outcome="(\w+)"\} (\S+)$', body.decode(), re.M)
    return {outcome: float(value) for outcome, value in found}


def run_replay(servers: Servers, server: Gunicorn) -> tuple[list[str], str]:
    tally = Tally()
    stop = threading.Event()
    writers = [
        threading.Thread(target=sql_writer, args=(20 + n, stop, tally, servers.primary_connection)) for n in range(4)
    ]
    puller = Puller(server.url, servers.key)
    try:
        final = replay(puller, writers, stop, servers.primary_now, seconds=REPLAY_SECONDS)
    finally:
        stop.set()
    summary = f"{replay_summary(puller, tally)}; reads: {replica_outcomes(server)}"
    print(summary)
    assert tally.counts.get("sql commit", 0) > 5, summary
    return replay_problems(puller, final), summary


def test_replay_read_from_the_replica_loses_no_row(servers: Servers) -> None:
    # "unavailable": every 200 comes from a replica that had caught up, never the primary.
    # REPLAY_SWITCH_OFF=replica-wait runs it with the replay-position wait off (it fails).
    switch = {"REPLICA_WAIT_FOR_REPLAY": "false"} if SWITCH_OFF == "replica-wait" else {}
    with servers.gunicorn(
        "replay", API_RATE_LIMIT="1000000/min", REPLICA_FALLBACK="unavailable", REPLICA_MAX_WAIT="5", **switch
    ) as server:
        problems, summary = run_replay(servers, server)
        outcomes = replica_outcomes(server)
    assert not problems, "; ".join(problems) + f" ({summary})"
    assert outcomes.get("replica", 0) + outcomes.get("unchecked", 0) > 0 and outcomes.get("primary", 0) == 0, summary


def test_replay_without_the_replay_position_wait_loses_rows(servers: Servers) -> None:
    # The switch: read the replica as soon as the window is final on the primary.
    lag(servers.replica, UNCHECKED_APPLY_DELAY)
    try:
        with servers.gunicorn("unchecked", API_RATE_LIMIT="1000000/min", REPLICA_WAIT_FOR_REPLAY="false") as server:
            problems, summary = run_replay(servers, server)
            outcomes = replica_outcomes(server)
    finally:
        lag(servers.replica, APPLY_DELAY)
    print("with the wait off:", "; ".join(problems))
    assert outcomes.get("unchecked", 0) > 0, summary
    assert problems, f"no row lost with the wait off: the replica did not lag ({summary})"


def new_player(servers: Servers) -> tuple[str, str]:
    """A player written on the primary, and the query of a window that holds it, once
    that window has ended."""
    player = f"replica-{uuid.uuid4()}"
    with servers.primary_connection() as connection:
        connection.execute(
            "INSERT INTO players_player (id, first_name, registered_at, modified_at, custom) "
            "VALUES (%s, 'late', now(), now(), '{}')",
            [player],
        )
        connection.commit()
        stamp = connection.execute("SELECT modified_at FROM players_player WHERE id = %s", [player]).fetchone()[0]
    start = stamp.replace(microsecond=0)
    end = start + dt.timedelta(seconds=1)
    while servers.primary_now() < end:
        time.sleep(0.02)
    query = urllib.parse.urlencode({"from": f"{start:%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"})
    return player, f"/api/users?{query}"


def timed_get(server: Gunicorn, path: str, key: str) -> tuple[int, dict[str, str], bytes, float]:
    began = time.monotonic()
    status, headers, body = server.get(path, key)
    return status, dict(headers), body, time.monotonic() - began


def test_paused_replay_waits_then_reads_the_primary_or_answers_503(servers: Servers) -> None:
    settings = {"REPLICA_MAX_WAIT": str(MAX_WAIT), "WEB_CONCURRENCY": "1"}
    with (
        servers.gunicorn("primary", REPLICA_FALLBACK="primary", **settings) as primary_fallback,
        servers.gunicorn("unavailable", REPLICA_FALLBACK="unavailable", **settings) as unavailable,
    ):
        servers.replica.execute("SELECT pg_wal_replay_pause()")
        try:
            player, path = new_player(servers)
            status, _, body, took = timed_get(primary_fallback, path, servers.key)
            assert status == 200 and player.encode() in body, body
            assert took >= MAX_WAIT, took
            assert replica_outcomes(primary_fallback).get("primary") == 1

            status, headers, body, took = timed_get(unavailable, path, servers.key)
            assert status == 503 and b"REPLICA_MAX_WAIT" in body, body
            assert int(headers["Retry-After"]) >= 1
            assert took >= MAX_WAIT, took
            assert replica_outcomes(unavailable).get("unavailable") == 1
        finally:
            servers.replica.execute("SELECT pg_wal_replay_resume()")
        # Resumed: the replica catches up within the wait, and is read.
        status, _, body, _ = timed_get(unavailable, path, servers.key)
        assert status == 200 and player.encode() in body, body
        assert replica_outcomes(unavailable).get("replica") == 1


def test_check_names_a_server_that_is_no_replica_without_its_url(servers: Servers) -> None:
    primary_url = servers.primary.url("intarget").replace("postgres@", "postgres:s3cret-pw@")
    env = {**servers.env, "DATABASE_REPLICA_URL": f"{servers.replica.url('intarget')},{primary_url}"}
    done = run_manage(env, "check", "--database", "default")
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "intarget_export.E011" in output and "'replica_2'" in output, output
    assert output.count("intarget_export.E") == 1, output  # the real replica passes
    assert "s3cret-pw" not in output and str(servers.primary.port) not in output, output


def test_check_names_what_a_role_without_privileges_lacks_on_each_server(servers: Servers) -> None:
    functions = ("pg_last_wal_replay_lsn()", "pg_current_wal_insert_lsn()")
    servers.primary.execute("CREATE ROLE feeder LOGIN")
    for function in functions:  # a function's grants belong to one database
        servers.primary.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC", "intarget")
    try:
        with servers.replica.connect("intarget", autocommit=True) as replica:
            replayed = (
                "SELECT CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = 'feeder') "
                "THEN NOT has_function_privilege('feeder', %s, 'EXECUTE') ELSE false END"
            )
            wait_until(lambda: replica.execute(replayed, [functions[0]]).fetchone()[0],
                       "the replica did not replay the REVOKE")
        as_feeder = {
            name: url.replace("postgres@", "feeder@") for name, url in servers.env.items() if name.endswith("_URL")
        }
        done = run_manage({**servers.env, **as_feeder}, "check", "--database", "default")
        output = done.stdout + done.stderr
        assert done.returncode != 0, output
        for check in ("E010", "E013", "E014"):
            assert f"intarget_export.{check}" in output, output
        assert "GRANT EXECUTE ON FUNCTION pg_last_wal_replay_lsn() TO feeder;" in output, output
        # The triggers' check cannot read the migrations as this role: it says so, and
        # the other checks still run (no traceback).
        assert "intarget_export.E015" in output and "could not be checked" in output, output
        assert "Traceback" not in output, output
    finally:
        for function in functions:
            servers.primary.execute(f"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC", "intarget")
        servers.primary.execute("DROP ROLE feeder")


# Last: it leaves the replica stopped (restarting it would cost seconds for nothing).
def test_stopped_replica_is_skipped_and_answers_keep_coming(servers: Servers) -> None:
    with servers.gunicorn("stopped", REPLICA_MAX_WAIT=str(MAX_WAIT), WEB_CONCURRENCY="1") as server:
        servers.replica.stop("fast")
        for _ in range(3):
            player, path = new_player(servers)
            status, _, body, took = timed_get(server, path, servers.key)
            assert status == 200 and player.encode() in body, body
            assert took < MAX_WAIT + 2, took
        assert replica_outcomes(server).get("primary") == 3
        done = run_manage(servers.env, "check", "--database", "default")
        output = done.stdout + done.stderr
        assert done.returncode != 0 and "intarget_export.E012" in output, output
        assert str(servers.replica.port) not in output, output

"""System checks of the databases a window is read from: the finality privilege on the
primary, and each replica's role and state. Registered by ``ServingConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.core import checks


@checks.register(checks.Tags.database)
def check_finality_privilege(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Without the privilege, other roles' transactions look absent and nothing waits."""
    from django.db import connection

    from serving.finality import PRIVILEGE_HINT, check_can_see_writers

    if not databases or "default" not in databases or connection.vendor != "postgresql":
        return []
    role = check_can_see_writers()
    if role is None:
        return []
    return [
        checks.Error(
            f"the database role {role!r} cannot see other sessions' transactions, so windows "
            "cannot be checked for rows still in flight; feed requests will answer 503",
            hint=PRIVILEGE_HINT.format(role=role),
            id="intarget_export.E010",
        )
    ]


# What lag-aware finality (replicas.py) runs on each server.
REPLICA_FUNCTION = "pg_last_wal_replay_lsn()"
PRIMARY_FUNCTION = "pg_current_wal_insert_lsn()"
CAN_RUN_SQL = "SELECT current_user, has_function_privilege(%s, 'EXECUTE')"


@checks.register(checks.Tags.database)
def check_replicas(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Each DATABASE_REPLICA_URL server answers, is a replica (in recovery), and lets the
    role read its replay position; the primary lets it read its WAL position. Messages
    name the alias, never the URL (it may carry a password) nor the server's error text."""
    from django.conf import settings
    from django.db import DatabaseError, connections

    replicas = list(settings.REPLICA_DATABASES)
    if not replicas or not databases or not ({"default", *replicas} & set(databases)):
        return []
    errors: list[checks.CheckMessage] = []
    with connections["default"].cursor() as cursor:
        cursor.execute(CAN_RUN_SQL, [PRIMARY_FUNCTION])
        role, allowed = cursor.fetchone()
    if not allowed:
        errors.append(
            checks.Error(
                f"the primary's role {role!r} may not run {PRIMARY_FUNCTION}, so no replica can be "
                "known to be current; feeds will read the primary or answer 503 (REPLICA_FALLBACK)",
                hint=f"GRANT EXECUTE ON FUNCTION {PRIMARY_FUNCTION} TO {role};",
                id="intarget_export.E014",
            )
        )
    for alias in replicas:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery()")
                in_recovery = cursor.fetchone()[0]
                cursor.execute(CAN_RUN_SQL, [REPLICA_FUNCTION])
                role, allowed = cursor.fetchone()
        except DatabaseError as error:
            errors.append(
                checks.Error(
                    f"database replica {alias!r} (DATABASE_REPLICA_URL) does not answer ({type(error).__name__}); "
                    "feeds skip it until it does",
                    id="intarget_export.E012",
                )
            )
            continue
        if not in_recovery:
            errors.append(
                checks.Error(
                    f"database replica {alias!r} (DATABASE_REPLICA_URL) is not in recovery: it is no "
                    "streaming replica (a primary, or promoted), and feeds will never read it",
                    hint="Name a hot standby's URL in DATABASE_REPLICA_URL.",
                    id="intarget_export.E011",
                )
            )
        elif not allowed:
            errors.append(
                checks.Error(
                    f"on database replica {alias!r}, the role {role!r} may not run {REPLICA_FUNCTION}, so "
                    "the replica cannot be known to be current and feeds never read it",
                    hint=f"On the primary (it replicates): GRANT EXECUTE ON FUNCTION {REPLICA_FUNCTION} TO {role};",
                    id="intarget_export.E013",
                )
            )
    return errors

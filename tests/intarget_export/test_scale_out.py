"""Stateless instances behind one proxy (docs/scaling.md, issue 10): two gunicorn
instances, each with a data folder of its own as on two machines, on one PostgreSQL
database, behind the shipped deploy/nginx.conf with both in its upstream block (round
robin). A key's rate limit and stream cap hold across both, a key revoked on one is
refused by the other at once, and the pull log holds the pulls both served.

Which instance answered is read from each instance's own access log: a limit that held
only because nginx sent everything to one instance would prove nothing.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from operations.models import Pull
from tests.support import nginx
from tests.access.test_limits_across_workers import ROWS, WINDOW, load_transactions
from tests.support.servers import Gunicorn, manage, new_key, shared_database_env
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Every instance must sign admin sessions with the same key (docs/scaling.md).
SECRET_KEY = "scale-out-tests-" + "s" * 40


@dataclass
class Deployment:
    instances: list[Gunicorn]
    proxy: nginx.Nginx
    env: dict[str, str]

    def get(self, key: str, port: int | None = None, feed: str = "users") -> int:
        """One pull through nginx (or straight to ``port``); its status."""
        conn = http.client.HTTPConnection("127.0.0.1", port or self.proxy.port, timeout=30)
        try:
            conn.request("GET", f"/api/{feed}?{WINDOW}", headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def answered(self, feed: str = "users") -> list[list[int]]:
        """Per instance, the statuses of the pulls of ``feed`` its access log holds."""
        pattern = re.compile(rf'"GET /api/{feed}\?[^"]*" (\d{{3}}) ')
        return [[int(status) for status in pattern.findall(server.log_text())] for server in self.instances]


@pytest.fixture
def deployment(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    assert nginx.available(), "nginx is missing: apt-get install nginx-light (.ci/run does it)"
    limits = getattr(request, "param", {})
    settings = {"SECRET_KEY": SECRET_KEY, "TRUSTED_PROXIES": "127.0.0.1/32", "WEB_CONCURRENCY": "2", **limits}
    with ExitStack() as stack:
        instances = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            env = shared_database_env(tmp_path / name, **settings)
            instances.append(stack.enter_context(Gunicorn(env, tmp_path / f"gunicorn-{name}.log")))
        proxy = nginx.Nginx(tmp_path / "nginx", [server.port for server in instances], shipped=True)
        stack.callback(proxy.stop)
        yield Deployment(instances, proxy, shared_database_env(tmp_path / "a", **settings))


def wait_for_logs(deployment: Deployment, count: int, feed: str = "users") -> list[list[int]]:
    """The instances' access log lines of ``feed``, once there are ``count`` (a line is
    written as its answer ends, a moment after the client has it)."""

    def logged() -> list[list[int]] | None:
        answered = deployment.answered(feed)
        return answered if sum(map(len, answered)) >= count else None

    return wait_until(logged, lambda: f"{count} access lines of {feed}: {deployment.answered(feed)}")


@pytest.mark.parametrize("deployment", [{"API_RATE_LIMIT": "10/min", "API_MAX_STREAMS": "100"}], indirect=True)
def test_the_rate_limit_holds_across_instances_and_the_pull_log_holds_both(deployment):
    key = new_key(deployment.env, "puller")
    statuses = [deployment.get(key) for _ in range(14)]
    assert statuses == [200] * 10 + [429] * 4
    on_a, on_b = wait_for_logs(deployment, 14)
    assert len(on_a) + len(on_b) == 14
    # Both instances admitted requests, and both refused once the key's 10 were spent:
    # neither counted only its own.
    assert 200 in on_a and 200 in on_b, (on_a, on_b)
    assert 429 in on_a and 429 in on_b, (on_a, on_b)
    # An entry is written as its answer ends.
    wait_until(lambda: Pull.objects.filter(key_name="puller").count() >= 14, "14 pulls in the pull log")
    pulls = sorted(Pull.objects.filter(key_name="puller").values_list("status", flat=True))
    assert pulls == sorted(statuses)


@pytest.mark.parametrize("deployment", [{"API_RATE_LIMIT": "600/min", "API_MAX_STREAMS": "2"}], indirect=True)
def test_the_stream_cap_holds_across_instances(deployment):
    load_transactions(deployment.env, ROWS)
    key = new_key(deployment.env, "puller")
    held = []
    for server in deployment.instances:  # one long answer in progress on each instance, read slowly
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", f"/api/transactions?{WINDOW}", headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        assert response.status == 200
        assert response.read(1000)
        held.append((conn, response))
    try:
        assert [deployment.get(key) for _ in range(4)] == [429] * 4
        assert all(429 in statuses for statuses in wait_for_logs(deployment, 4)), deployment.answered()
        conn, response = held.pop()
        response.read()
        conn.close()
        # A slot comes back once its stream has ended.
        wait_until(lambda: deployment.get(key) == 200, "the slot of an ended stream was not given back", every=0.1)
    finally:
        for conn, _ in held:
            conn.close()


def test_a_key_revoked_on_one_instance_is_refused_by_the_other_at_once(deployment):
    key = new_key(deployment.env, "puller")
    assert [deployment.get(key) for _ in range(4)] == [200] * 4
    assert all(200 in statuses for statuses in wait_for_logs(deployment, 4)), deployment.answered()
    # Revoked with instance a's settings and data folder; the very next requests, whichever
    # instance nginx sends them to, are refused.
    manage(deployment.env, "revoke_api_key", "puller")
    assert [deployment.get(key) for _ in range(4)] == [401] * 4
    on_a, on_b = wait_for_logs(deployment, 8)
    assert 401 in on_a and 401 in on_b, (on_a, on_b)
    # And straight to each instance, not through nginx.
    assert [deployment.get(key, server.port) for server in deployment.instances] == [401, 401]

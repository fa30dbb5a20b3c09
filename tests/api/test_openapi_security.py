"""The document's security schemes: bearer, HTTP Basic and the X-Api-Key header, any one
of them, each with a curl example that works as written (operations.md 9)."""

import json
import re
import shlex
import subprocess

import pytest
from django.test import Client

from tests.support.servers import Gunicorn, new_key, shared_database_env

# No database engine changes what this checks: it runs once, in the SQLite pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.engine_independent]


def test_the_three_schemes_are_alternatives_on_every_feed():
    doc = Client().get("/api/schema").json()
    schemes = doc["components"]["securitySchemes"]
    assert {name: {k: v for k, v in scheme.items() if k != "description"} for name, scheme in schemes.items()} == {
        "bearer": {"type": "http", "scheme": "bearer"},
        "basic": {"type": "http", "scheme": "basic"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    }
    for path, item in doc["paths"].items():
        for method, operation in item.items():  # pulls and pushes alike
            # A list of three requirements: any one suffices (one object of three would mean all at once).
            assert operation["security"] == [{"bearer": []}, {"basic": []}, {"apiKey": []}], (path, method)


def curl_examples(doc: dict) -> dict[str, str]:
    examples = {}
    for name, scheme in doc["components"]["securitySchemes"].items():
        found = re.search(r"```sh\n(curl [^\n]+)\n```", scheme["description"])
        assert found, name
        examples[name] = found.group(1)
    return examples


def test_each_curl_example_names_this_service_and_works_as_written(tmp_path):
    env = shared_database_env(tmp_path)
    key = new_key(env, "intarget")
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        status, _, body = server.request("GET", "/api/schema")
        assert status == 200
        examples = curl_examples(json.loads(body))
        assert set(examples) == {"bearer", "basic", "apiKey"}
        for name, command in examples.items():
            argv = [arg.replace("$KEY", key) for arg in shlex.split(command)]
            assert argv[-1].startswith(f"{server.url}/api/users?"), command  # the host it was asked on
            done = subprocess.run([*argv, "-sS", "-o", "/dev/null", "-w", "%{http_code}"],
                                  capture_output=True, text=True, timeout=60)
            assert done.stdout == "200", (name, done.stdout, done.stderr)
            wrong = subprocess.run([*(arg.replace(key, "wrong-key") for arg in argv), "-s", "-o", "/dev/null",
                                    "-w", "%{http_code}"], capture_output=True, text=True, timeout=60)
            assert wrong.stdout == "401", name
    assert key not in server.log_text()

"""``/favicon.ico``, which every browser asks for, is a small icon, not a 404 (issue 19):
served by WhiteNoise from WHITENOISE_ROOT (intarget_export/public/), with no redirect and
no key, by the real service as by the test client."""

import struct

import pytest
from django.conf import settings
from django.test import Client

from tests.support.servers import Gunicorn, migrate, service_env

# No database engine changes what this checks: it runs once, in the SQLite pass.
pytestmark = pytest.mark.engine_independent

ICON = settings.WHITENOISE_ROOT / "favicon.ico"


def icon_sizes(body: bytes) -> list[int]:
    """The sizes of the images an ICO file holds (its header: reserved 0, type 1, count)."""
    reserved, kind, count = struct.unpack_from("<HHH", body)
    assert (reserved, kind) == (0, 1), "not an icon"
    return [body[6 + 16 * n] or 256 for n in range(count)]


def test_the_icon_holds_the_sizes_browsers_show_and_is_small():
    body = ICON.read_bytes()
    assert icon_sizes(body) == [16, 32]
    assert len(body) < 4096


def test_favicon_is_served_at_the_root_as_an_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content) == ICON.read_bytes()


def test_the_service_serves_it_too(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    with Gunicorn(env) as server:
        status, headers, body = server.request("GET", "/favicon.ico")
    assert status == 200
    assert body == ICON.read_bytes()
    assert "max-age" in headers["Cache-Control"]

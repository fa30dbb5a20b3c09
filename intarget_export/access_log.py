"""gunicorn's access log, without credentials (``logger_class`` in gunicorn.conf.py).

gunicorn's default line holds the HTTP Basic user name (``%(u)s``), and a key sent as
that user name was written to the log in clear. The shipped ``access_log_format`` names
no credential; this logger also makes sure that no format can: the user name, the
headers that carry keys or sessions and the WSGI environ are left out, and the query string keeps only the
values of the window parameters (a key is never accepted in the URL, but a puller may
put one there by mistake).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from gunicorn.glogging import Logger

# Query parameters whose values are logged; any other parameter is logged by name only.
# (step: a digest's parts, GET /api/<feed>/digest.)
LOGGED_PARAMETERS = frozenset({"from", "to", "format", "step"})
# Headers that carry credentials or sessions: never available to the log format.
SECRET_ATOMS = ("{authorization}i", "{proxy-authorization}i", "{x-api-key}i", "{cookie}i", "{set-cookie}o")
HIDDEN = "***"


def redacted_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, value if name in LOGGED_PARAMETERS else HIDDEN) for name, value in pairs], safe="*:")


class AccessLogWithoutSecrets(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"
        for name in [*SECRET_ATOMS, *(name for name in atoms if name.endswith("}e"))]:
            # ``{…}e`` is the WSGI environ: the same headers again, and the raw URI.
            atoms.pop(name, None)
        query = redacted_query(environ.get("QUERY_STRING", ""))
        path = quote(environ.get("PATH_INFO", ""))
        atoms["q"] = query
        atoms["r"] = "%s %s%s %s" % (
            environ.get("REQUEST_METHOD"), path, "?" + query if query else "", environ.get("SERVER_PROTOCOL")
        )
        return atoms

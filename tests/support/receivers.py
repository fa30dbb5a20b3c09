"""Real receivers of alerts on loopback, each on a free port of its own:

    with WebhookReceiver(answers=[500, 200]) as hook:   # http.server in a thread
        ...; hook.received  # every POST: headers and body, in order of arrival
    with SmtpReceiver(password="…") as smtp:            # aiosmtpd's Controller
        ...; smtp.messages  # every accepted message (email.message.EmailMessage)

A receiver answers each request with the next of its ``answers`` (the last one repeats),
and can hold the first until told (``hold_first=True``: ``release.set()``) or until another
request arrives meanwhile (``hold_first=UNTIL_ANOTHER``), so that a test can act while a
sender waits, or make two senders overlap.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import threading
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.servers import free_port

# Long enough for any loaded machine, short enough to end a test that waits for a hang.
WAIT = 60
# hold_first=UNTIL_ANOTHER: the first request is answered once a second one has arrived.
UNTIL_ANOTHER = "until another"


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    path: str


def webhook_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/hooks/intarget"


class WebhookReceiver:
    def __init__(self, answers: list[int] | None = None, *, hold_first: bool | str = False, port: int | None = None):
        self.answers = list(answers or [200])
        self.received: list[Received] = []
        self.answered: list[int] = []
        self.arrived = threading.Event()  # set at each request (cleared by the test)
        self.held = threading.Event()  # the held request has arrived
        self.release = threading.Event()  # lets it be answered
        self.hold_first = hold_first
        self.concurrent = False  # with UNTIL_ANOTHER: a request came while the first was held
        self._lock = threading.Lock()
        self.port = port or free_port()
        self.url = webhook_url(self.port)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, self.path))
                    n = len(receiver.received) - 1
                    status = receiver.answers[min(n, len(receiver.answers) - 1)]
                if n == 0 and receiver.hold_first:
                    receiver.held.set()
                    receiver.release.wait(WAIT)
                elif receiver.hold_first == UNTIL_ANOTHER and not receiver.release.is_set():
                    receiver.concurrent = receiver.held.is_set()
                    receiver.release.set()
                receiver.answered.append(status)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.arrived.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        return [request.headers["webhook-id"] for request in self.received]


class _Handler:
    def __init__(self, receiver: SmtpReceiver):
        self.receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        receiver = self.receiver
        with receiver._lock:
            receiver.attempts += 1
            refuse = receiver.attempts <= receiver.refuse_first
        if refuse:
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with receiver._lock:
            receiver.messages.append(message)
            receiver.recipients.append(list(envelope.rcpt_tos))
        receiver.arrived.set()
        return "250 Message accepted for delivery"


class SmtpReceiver:
    """An SMTP server that accepts every message (after refusing the first
    ``refuse_first``), and with ``user``/``password`` offers a login that only they pass."""

    def __init__(self, *, user: str | None = None, password: str | None = None, refuse_first: int = 0):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.attempts = 0
        self.refuse_first = refuse_first
        self.arrived = threading.Event()
        self.logins: list[tuple[str, bool]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        options: dict[str, Any] = {}
        if user is not None:

            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
                ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
                    user, password,
                )
                self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "", ok))
                return AuthResult(success=ok, handled=False)  # unhandled: aiosmtpd answers 535

            # Offered without TLS (loopback); a client that logs in must get it right.
            options = {"authenticator": authenticate, "auth_require_tls": False}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

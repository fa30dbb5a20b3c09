"""gunicorn's threaded worker, made to stop when asked: ``StoppableThreadWorker``
(gunicorn.conf.py's ``worker_class``).

gunicorn 23's gthread worker stops from inside its signal handler: on SIGINT or SIGQUIT,
``handle_quit`` shuts its thread pool down, sleeps and raises SystemExit, all in the
handler. A second signal arriving meanwhile runs the handler again in the same thread, on
top of the first, and a second ``ThreadPoolExecutor.shutdown`` waits forever for the lock
the first one holds. Ctrl-C sends exactly that: SIGINT reaches the whole process group,
the master included, and the master then sends every worker SIGQUIT, while the first
shutdown is waking the pool's threads. The worker hangs, and the master waits out
graceful_timeout (300 s) before its SIGKILL ("Perhaps out of memory?"). How often depends
on timing: 2 Ctrl-Cs in 4 after a browser's 16 requests on the machine of issue 19, 1 in
23 here (bench/README.md#stopping).

Here a handler only records what was asked, which any number of signals, nested or not,
can do without harm; the worker's main loop, woken at once through the signal wakeup
pipe, does the stopping, once, outside any handler:

- SIGTERM, graceful (a service manager's stop, ``docker stop``, the master passing on its
  own SIGTERM): stop accepting, let the answers in flight finish, then exit. A stream
  still running at graceful_timeout is cut by the master's SIGKILL: visibly, since a
  streamed answer is chunked and a spooled one has its length (api/spooling.py).
- SIGINT, SIGQUIT, quick (Ctrl-C; the master passes on its SIGINT as SIGQUIT): stop
  accepting, cut the answers in flight (their connections shut, so that the client sees a
  broken transfer, never a clean end), then exit.

Why keep gthread rather than change the worker model: the sync worker answers the
master's heartbeat from the request itself, so it killed long streams (gunicorn.conf.py);
gevent and eventlet need every blocking call to cooperate, the database driver's and
those of the threads the service starts (access/leases.py, loading/read_ahead.py); an
ASGI server would run this WSGI application in a thread pool anyway. gthread serves well;
only its stopping was at fault, and that is all this class changes.
"""

from __future__ import annotations

import os
import selectors
import socket

from gunicorn.workers.gthread import ThreadWorker


class StoppableThreadWorker(ThreadWorker):
    quick = False  # a quick stop was asked (SIGINT, SIGQUIT): cut the answers in flight

    # The handlers: assignments only, safe when re-entered (gunicorn's base worker installs
    # them, and the wakeup pipe, in init_signals).

    def handle_exit(self, sig, frame):
        self.alive = False

    def handle_quit(self, sig, frame):
        self.quick = True
        self.alive = False

    def run(self):
        # Every signal writes a byte to the wakeup pipe: with it in the poller, the loop
        # wakes at once rather than at the end of its one-second wait.
        self.poller.register(self.PIPE[0], selectors.EVENT_READ, self.on_signal)
        super().run()  # returns once the loop has seen alive turn False and the answers ended
        if self.quick:
            self.cfg.worker_int(self)  # gunicorn's hook for a worker stopped by SIGINT or SIGQUIT

    def on_signal(self, pipe: int) -> None:
        """In the main loop, after a signal's handler has run."""
        try:
            while os.read(pipe, 4096):
                pass
        except BlockingIOError:  # drained (the pipe does not block)
            pass
        if self.quick:
            self.cut_answers_in_flight()

    def cut_answers_in_flight(self) -> None:
        """Shut the connection of every answer in flight: its next write fails, as when a
        client goes away, and its thread ends the answer there (the body's close, the pull
        log's record). A thread waiting on the database meets it on its first write; if
        that is later than graceful_timeout, the master's SIGKILL ends it."""
        for future in list(self.futures):
            try:
                future.conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by its thread
                pass
